-- Mart. Grain: one row per activity: its events, the tickets containing it, and the tickets
-- that start and end with it (start and end activities of the directly-follows graph).
WITH bounds AS (
    SELECT
        ticket_id,
        arg_min(activity, event_seq) AS first_activity,
        arg_max(activity, event_seq) AS last_activity
    FROM mine_events
    GROUP BY ticket_id
),
occurrences AS (
    SELECT activity, count(*) AS events, count(DISTINCT ticket_id) AS cases
    FROM mine_events
    GROUP BY activity
),
starts AS (
    SELECT first_activity AS activity, count(*) AS start_cases FROM bounds GROUP BY 1
),
ends AS (
    SELECT last_activity AS activity, count(*) AS end_cases FROM bounds GROUP BY 1
),
final AS (
    SELECT
        o.activity,
        o.events,
        o.cases,
        coalesce(s.start_cases, 0) AS start_cases,
        coalesce(e.end_cases, 0)   AS end_cases
    FROM occurrences o
    LEFT JOIN starts s USING (activity)
    LEFT JOIN ends e USING (activity)
)
SELECT * FROM final
ORDER BY events DESC, activity;
