-- Mart. Grain: one row per directly-follows edge (source activity -> target activity) with the
-- waiting time between the two events (seconds from the source event's timestamp to the target
-- event's): mean, median, 90th percentile, min, max, total; `cases` (tickets with the edge).
SELECT * FROM mine_edge_waits
ORDER BY frequency DESC, source, target;
