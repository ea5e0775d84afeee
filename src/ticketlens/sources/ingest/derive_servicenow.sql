-- Staging. Grain: one row per column change between consecutive updates of an incident that
-- the audit log records as a column, not as a state: the assignee (assigned_to), the
-- assignment group and the priority. Each becomes an event at the update's instant, before
-- the update's own state event (sub_row -3..-1: same instant, earlier in order), carrying the
-- update's values; attributes: derived = the column, previous = the value before. A change is
-- a value that differs from the last recorded one (missing values skipped; the first value is
-- no change). STAGED_EVENTS: the staging view (an internal name the reader fills in); the
-- rows land in STAGED_EVENTS_derived, which the reader adds to the view.
CREATE OR REPLACE TEMP TABLE STAGED_EVENTS_derived AS
WITH updates AS (
    SELECT
        source_row, ticket_id, ts, assigned_to, priority, category, department,
        attributes['assignment_group'] AS assignment_group,
        last_value(assigned_to IGNORE NULLS) OVER earlier AS previous_assignee,
        last_value(attributes['assignment_group'] IGNORE NULLS) OVER earlier AS previous_group,
        last_value(priority IGNORE NULLS) OVER earlier AS previous_priority
    FROM STAGED_EVENTS
    WHERE sub_row = 0
    WINDOW earlier AS (PARTITION BY ticket_id ORDER BY ts, source_row
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
changes AS (
    SELECT *, 'assigned_to' AS col, $assignee AS activity, previous_assignee AS previous, -3 AS sub_row
    FROM updates WHERE assigned_to <> previous_assignee
    UNION ALL
    SELECT *, 'assignment_group', $group, previous_group, -2
    FROM updates WHERE assignment_group <> previous_group
    UNION ALL
    SELECT *, 'priority', $priority, previous_priority, -1
    FROM updates WHERE priority <> previous_priority
)
SELECT source_row, ticket_id, ts, activity, assigned_to, priority, category, department,
       NULL AS notes, NULL AS event_id,
       MAP {'derived': col, 'previous': previous} AS attributes, sub_row
FROM changes;
