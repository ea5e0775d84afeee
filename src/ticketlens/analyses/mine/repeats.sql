-- Mart. Grain: one row per (ticket, activity) that occurs more than once in the ticket:
-- rework. `extra` = occurrences beyond the first. (From mine_rework_tickets.)
WITH repeated AS (
    SELECT ticket_id, unnest(repeats) AS r
    FROM mine_rework_tickets
),
final AS (
    SELECT
        ticket_id,
        r.activity                   AS activity,
        r.occurrences::BIGINT        AS occurrences,
        (r.occurrences - 1)::BIGINT  AS extra
    FROM repeated
)
SELECT * FROM final
ORDER BY ticket_id, activity;
