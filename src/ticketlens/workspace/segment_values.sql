-- One row per filter dimension and value a segment filter can match, with its tickets: the
-- value in force at a ticket's last event that carries one (priority, category, as
-- core/segment.py filters them) and the team case attribute of any source (as --team keeps
-- a ticket any source puts in the team). Only the dimensions flagged by $priority,
-- $category and $team are computed.
WITH last AS (
    SELECT arg_max(priority, event_seq) FILTER (WHERE priority IS NOT NULL) AS priority,
           arg_max(category, event_seq) FILTER (WHERE category IS NOT NULL) AS category
    FROM events
    WHERE $priority OR $category
    GROUP BY ticket_id
)
SELECT 'priority' AS dimension, priority AS value, count(*) AS tickets
FROM last WHERE $priority AND priority IS NOT NULL GROUP BY ALL
UNION ALL
SELECT 'category', category, count(*)
FROM last WHERE $category AND category IS NOT NULL GROUP BY ALL
UNION ALL
SELECT 'team', value, count(DISTINCT ticket_id)
FROM case_attributes WHERE $team AND name = $team_name AND value IS NOT NULL GROUP BY ALL
ORDER BY dimension, value
