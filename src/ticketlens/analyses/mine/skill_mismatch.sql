-- Mart. Grain: one row per (first assignee, category, resolving tier): how many tickets a
-- technician took first in a category, whether that category is among their skills, and at
-- which tier the ticket was resolved (holder at its last resolution event, $resolved).
-- Tiers come from the roster (mine_roster); a name it lacks has tier NULL, never a guess.
-- $skip: return no rows (the caller wants the handover network only).
WITH per_ticket AS (
    SELECT
        ticket_id,
        arg_min(resource, event_seq) FILTER (WHERE resource IS NOT NULL)   AS first_assignee,
        arg_max(category, event_seq) FILTER (WHERE category IS NOT NULL)   AS category,
        arg_max(resource, event_seq) FILTER (WHERE list_contains($resolved, activity))
                                                                            AS resolver,
        bool_or(list_contains($resolved, activity))                        AS resolved
    FROM mine_events
    WHERE NOT $skip
    GROUP BY ticket_id
),
placed AS (
    SELECT
        p.first_assignee,
        f.tier                                          AS first_tier,
        p.category,
        CASE WHEN f.skills IS NULL OR p.category IS NULL THEN NULL
             ELSE list_contains(f.skills, p.category) END AS first_skilled,
        CASE WHEN NOT p.resolved THEN 'unresolved'
             WHEN p.resolver IS NULL THEN 'unassigned'
             ELSE coalesce(r.tier, 'unknown') END       AS resolved_tier,
        CASE WHEN NOT p.resolved THEN 'unresolved'
             WHEN f.tier_rank IS NULL OR r.tier_rank IS NULL THEN 'unknown'
             WHEN r.tier_rank = f.tier_rank THEN 'same tier'
             WHEN r.tier_rank > f.tier_rank THEN 'higher tier'
             ELSE 'lower tier' END                      AS outcome,
        p.resolver = p.first_assignee                  AS resolved_by_first
    FROM per_ticket p
    LEFT JOIN mine_roster f ON f.resource = p.first_assignee
    LEFT JOIN mine_roster r ON r.resource = p.resolver
),
final AS (
    SELECT
        first_tier,
        first_assignee,
        category,
        first_skilled,
        resolved_tier,
        outcome,
        count(*)                                 AS tickets,
        count(*) FILTER (WHERE resolved_by_first) AS resolved_by_first_assignee
    FROM placed
    GROUP BY ALL
)
SELECT
    *,
    tickets / sum(tickets) OVER (PARTITION BY first_assignee, category) AS share
FROM final
ORDER BY first_tier NULLS LAST, first_assignee NULLS LAST, category NULLS LAST, tickets DESC,
         resolved_tier;
