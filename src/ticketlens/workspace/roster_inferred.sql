-- Grain: one row per person the log names on an escalation or assignment event and no roster
-- states: the tier the log shows them at. Someone holding tickets at escalations to tier T
-- works at T (the most votes; ties go to the higher tier); someone only ever given tickets by
-- an assignment works at the entry tier. The SLA engine applies the same rule per policy and
-- as-of (clock/tickets.technician_tiers); this is it over the whole log, with the workspace's lifecycle roles.
INSERT INTO technicians (name, tier, team, skills, source_id, origin)
WITH escalation AS (
    SELECT unnest($escalations::VARCHAR[]) AS activity,
           unnest($escalation_tiers::VARCHAR[]) AS tier,
           unnest($escalation_ranks::INTEGER[]) AS rank
),
votes AS (
    SELECT e.assigned_to AS name, x.tier, x.rank, count(*) AS n
    FROM events e
    JOIN escalation x USING (activity)
    WHERE e.assigned_to IS NOT NULL
    GROUP BY ALL
),
voted AS (
    SELECT name, arg_max(tier, n * $tier_count + rank) AS tier FROM votes GROUP BY name
),
entered AS (
    SELECT DISTINCT assigned_to AS name, $entry_tier::VARCHAR AS tier
    FROM events
    WHERE assigned_to IS NOT NULL AND list_contains($assigned::VARCHAR[], activity)
      AND $entry_tier::VARCHAR IS NOT NULL
),
inferred AS (
    SELECT name, coalesce(v.tier, n.tier) AS tier
    FROM voted v FULL JOIN entered n USING (name)
)
SELECT name, tier, NULL, NULL, NULL, $inferred
FROM inferred
WHERE name NOT IN (SELECT name FROM technicians WHERE coalesce(origin, '') <> $inferred)
ORDER BY name
