-- Mart. Grain: one row per directly-follows edge (source activity -> target activity):
-- how often the target directly follows the source within a ticket (events) and in how many
-- tickets (cases). Frequency only: the cheap graph.
WITH steps AS (
    SELECT ticket_id, activity AS source, next_activity AS target
    FROM mine_steps
    WHERE next_activity IS NOT NULL
),
final AS (
    SELECT
        source,
        target,
        count(*)                   AS frequency,
        count(DISTINCT ticket_id)  AS cases
    FROM steps
    GROUP BY source, target
)
SELECT * FROM final
ORDER BY frequency DESC, source, target;
