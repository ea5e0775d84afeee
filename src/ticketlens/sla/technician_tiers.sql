-- Mart. Grain: one row per person seen holding a ticket: the tier the log shows them at.
-- A person handed tickets by escalations to tier T works at T (the most frequent such tier;
-- ties go to the higher tier); a person only ever given tickets by an `assigned` activity
-- works at the policy's entry tier; anyone else's tier is unknown (NULL).
WITH events AS (
    SELECT holder, activity FROM _sla_events WHERE holder >= 0
),
roles AS (
    SELECT activity, escalation_tier, tier_rank, is_assigned FROM _sla_roles
),
people AS (
    SELECT value AS person, code AS holder FROM _sla_values WHERE kind = 'person'
),
escalation_votes AS (
    SELECT e.holder, r.escalation_tier AS tier, max(r.tier_rank) AS tier_rank, count(*) AS votes
    FROM events e JOIN roles r USING (activity)
    WHERE r.escalation_tier IS NOT NULL
    GROUP BY e.holder, r.escalation_tier
),
escalated_to AS (
    SELECT holder, arg_max(tier, votes * 1000 + tier_rank) AS tier
    FROM escalation_votes GROUP BY holder
),
assigned AS (
    SELECT DISTINCT e.holder FROM events e JOIN roles r USING (activity) WHERE r.is_assigned
),
final AS (
    SELECT p.holder, p.person,
           coalesce(x.tier, CASE WHEN a.holder IS NOT NULL THEN $entry_tier END) AS tier
    FROM people p
    LEFT JOIN escalated_to x USING (holder)
    LEFT JOIN assigned a USING (holder)
)
SELECT * FROM final ORDER BY holder
