-- Mart. Grain: one row per SLA metric, dimension (overall, team, system, technician, category,
-- priority) and value: tickets with a verdict, breached, breach rate (counts kept so small
-- groups show as small). Reads `_kpi_verdicts` (one row per ticket and metric).
WITH verdicts AS (
    SELECT * FROM _kpi_verdicts
),
grouped AS (
    SELECT
        metric,
        CASE WHEN grouping(team_key) = 0 THEN 'team'
             WHEN grouping(system_key) = 0 THEN 'system'
             WHEN grouping(technician_key) = 0 THEN 'technician'
             WHEN grouping(category_key) = 0 THEN 'category'
             WHEN grouping(priority_key) = 0 THEN 'priority'
             ELSE 'overall' END AS dimension,
        coalesce(team_key, system_key, technician_key, category_key, priority_key, 'all') AS value,
        count(*) AS tickets,
        count(breached) AS with_verdict,
        count(*) FILTER (WHERE breached) AS breached,
        count(*) FILTER (WHERE breached AND is_open) AS open_breached,
        count(*) FILTER (WHERE breached IS NULL) AS without_verdict
    FROM verdicts
    GROUP BY GROUPING SETS ((metric), (metric, team_key), (metric, system_key),
                            (metric, technician_key), (metric, category_key),
                            (metric, priority_key))
),
final AS (
    SELECT *, breached / nullif(with_verdict, 0) AS breach_rate FROM grouped
)
SELECT * FROM final
ORDER BY metric, CASE dimension WHEN 'overall' THEN 0 WHEN 'team' THEN 1 WHEN 'system' THEN 2
         WHEN 'technician' THEN 3 WHEN 'category' THEN 4 ELSE 5 END, with_verdict DESC, value
