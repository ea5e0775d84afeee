-- Mart. Grain: one row per ISO weekday (1 = Monday) and hour of the day in the policy's time
-- zone (168 rows): tickets created in that hour of the week.
WITH created AS (
    SELECT timezone($tz, created_at) AS local_time FROM _kpi_facts WHERE has_creation
),
counts AS (
    SELECT isodow(local_time) AS weekday, hour(local_time) AS hour, count(*) AS tickets
    FROM created GROUP BY ALL
),
grid AS (
    SELECT w.weekday, h.hour FROM range(1, 8) AS w(weekday), range(0, 24) AS h(hour)
),
final AS (
    SELECT g.weekday::INTEGER AS weekday,
           ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][g.weekday] AS day,
           g.hour::INTEGER AS hour,
           coalesce(c.tickets, 0) AS tickets
    FROM grid g LEFT JOIN counts c USING (weekday, hour)
)
SELECT * FROM final ORDER BY weekday, hour
