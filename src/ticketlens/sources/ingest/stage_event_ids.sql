-- Grain: one row — how many staged events reuse an event_id of an earlier event, how many ids
-- are repeated, and the first three of them (by where they first occur). A source's event ids
-- should name one event each; repeats are reported, never silently passed (issue 10 §4).
WITH repeated AS (
    SELECT event_id, count(*) AS uses, min(source_row) AS first_row
    FROM {events}
    WHERE event_id IS NOT NULL
    GROUP BY event_id
    HAVING count(*) > 1
)
SELECT coalesce(sum(uses - 1), 0), count(*), list(event_id ORDER BY first_row)[1:3]
FROM repeated;
