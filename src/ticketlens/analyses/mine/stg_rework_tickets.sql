-- Staging. Grain: one row per ticket that repeats an activity, reopens or is escalated (its
-- variant's flags from stg_rework_variants.sql), with its repeated activities.
CREATE OR REPLACE TEMP TABLE mine_rework_tickets AS
SELECT t.ticket_id, v.reopen, v.escalation, v.repeats
FROM mine_ticket_keys t
JOIN mine_rework_variants v
  ON t.k0 IS NOT DISTINCT FROM v.k0 AND t.k1 IS NOT DISTINCT FROM v.k1
 AND t.codes IS NOT DISTINCT FROM v.codes
WHERE v.reopen OR v.escalation OR len(v.repeats) > 0;
