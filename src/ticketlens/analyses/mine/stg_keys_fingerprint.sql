-- Staging. Grain: one row per ticket: its trace as a fingerprint (k0, k1: sums of slot values,
-- see stg_slots.sql) and its throughput time (first to last event, seconds). Events of
-- activities outside mine_trace_codes add nothing to the fingerprint.
CREATE OR REPLACE TEMP VIEW mine_ticket_keys AS
SELECT
    e.ticket_id,
    sum(v.v0)                           AS k0,
    sum(v.v1)                           AS k1,
    NULL::INTEGER[]                     AS codes,
    (max(e.t_us) - min(e.t_us)) / 1e6   AS throughput_s
FROM mine_events e
LEFT JOIN mine_slot_values v USING (activity, event_seq)
GROUP BY e.ticket_id;
