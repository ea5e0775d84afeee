-- Staging. Grain: one row per distinct value of activity, priority, assignee, category or
-- department in the events at or before the as-of instant, with a dense integer code per kind
-- in value order (numpy works on codes; text comes back by dictionary lookup). One scan of the
-- events collects the distinct values of every kind at once.
CREATE OR REPLACE TEMP TABLE _sla_values AS
WITH source AS (
    SELECT activity, priority, assigned_to, category, department
    FROM events WHERE "timestamp" <= $as_of
),
distinct_values AS (
    SELECT list(DISTINCT activity) AS activity,
           list(DISTINCT priority) FILTER (WHERE priority IS NOT NULL) AS priority,
           list(DISTINCT assigned_to) FILTER (WHERE assigned_to IS NOT NULL) AS person,
           list(DISTINCT category) FILTER (WHERE category IS NOT NULL) AS category,
           list(DISTINCT department) FILTER (WHERE department IS NOT NULL) AS department
    FROM source
),
activities AS (
    SELECT 'activity' AS kind, unnest(activity) AS value FROM distinct_values
    UNION  -- the activity of creation events taken from a recorded creation attribute
    SELECT 'activity', $created_activity WHERE $created_attribute IS NOT NULL
),
all_values AS (
    SELECT * FROM activities
    UNION ALL SELECT 'priority', unnest(priority) FROM distinct_values
    UNION ALL SELECT 'person', unnest(person) FROM distinct_values
    UNION ALL SELECT 'category', unnest(category) FROM distinct_values
    UNION ALL SELECT 'department', unnest(department) FROM distinct_values
),
final AS (
    SELECT kind, value, (row_number() OVER (PARTITION BY kind ORDER BY value) - 1)::INTEGER AS code
    FROM all_values
)
SELECT * FROM final ORDER BY kind, code
