-- Mart. Grain: one row per dimension (system, category) and value, ranked by tickets: share,
-- cumulative share, and whether it belongs to the "vital few" (the values needed, in rank
-- order, to reach 80 % of the tickets; the value that crosses 80 % is included).
WITH facts AS (
    SELECT system_key, category_key FROM _kpi_facts
),
counts AS (
    SELECT 'system' AS dimension, system_key AS value, count(*) AS tickets
    FROM facts GROUP BY system_key
    UNION ALL
    SELECT 'category', category_key, count(*) FROM facts GROUP BY category_key
),
ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY dimension ORDER BY tickets DESC, value) AS rank,
           sum(tickets) OVER (PARTITION BY dimension) AS total
    FROM counts
),
cumulated AS (
    SELECT *, sum(tickets) OVER (PARTITION BY dimension ORDER BY rank) AS cumulative_tickets
    FROM ranked
),
final AS (
    SELECT dimension, value, rank, tickets,
           tickets / total AS share,
           cumulative_tickets / total AS cumulative_share,
           -- integer test, so floating error cannot move the cut
           (cumulative_tickets - tickets) * 5 < total * 4 AS vital_few
    FROM cumulated
)
SELECT * FROM final ORDER BY dimension, rank
