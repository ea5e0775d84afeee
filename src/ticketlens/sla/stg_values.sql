-- Staging. Grain: one row per distinct value of activity, priority, assignee, category or
-- department in the events at or before the as-of instant, with a dense integer code per kind
-- (numpy works on codes; text comes back by dictionary lookup).
CREATE OR REPLACE TEMP TABLE _sla_values AS
WITH source AS (
    SELECT activity, priority, assigned_to, category, department
    FROM events WHERE "timestamp" <= $as_of
),
activities AS (
    SELECT DISTINCT 'activity' AS kind, activity AS value FROM source
    UNION  -- the activity of creation events taken from a recorded creation attribute
    SELECT 'activity', $created_activity WHERE $created_attribute IS NOT NULL
),
priorities AS (SELECT DISTINCT 'priority' AS kind, priority AS value FROM source
               WHERE priority IS NOT NULL),
people AS (SELECT DISTINCT 'person' AS kind, assigned_to AS value FROM source
           WHERE assigned_to IS NOT NULL),
categories AS (SELECT DISTINCT 'category' AS kind, category AS value FROM source
               WHERE category IS NOT NULL),
departments AS (SELECT DISTINCT 'department' AS kind, department AS value FROM source
                WHERE department IS NOT NULL),
final AS (
    SELECT kind, value, (row_number() OVER (PARTITION BY kind ORDER BY value) - 1)::INTEGER AS code
    FROM (SELECT * FROM activities UNION ALL SELECT * FROM priorities UNION ALL SELECT * FROM people
          UNION ALL SELECT * FROM categories UNION ALL SELECT * FROM departments)
)
SELECT * FROM final ORDER BY kind, code
