-- Mart. Grain: one row per (ticket, activity) that occurs more than once in the ticket:
-- rework. `extra` = occurrences beyond the first.
WITH counted AS (
    SELECT ticket_id, activity, count(*) AS occurrences
    FROM mine_events
    GROUP BY ticket_id, activity
    HAVING count(*) > 1
),
final AS (
    SELECT ticket_id, activity, occurrences, occurrences - 1 AS extra
    FROM counted
)
SELECT * FROM final
ORDER BY ticket_id, activity;
