-- Mart. Grain: one row per dimension (overall, team, system, technician, category, priority)
-- and value: volume, resolution times (MTTR, median, p90), first response times, reopen,
-- escalation and first-contact-resolution rates.
WITH facts AS (
    SELECT * FROM _kpi_facts
),
grouped AS (
    SELECT
        CASE WHEN grouping(team_key) = 0 THEN 'team'
             WHEN grouping(system_key) = 0 THEN 'system'
             WHEN grouping(technician_key) = 0 THEN 'technician'
             WHEN grouping(category_key) = 0 THEN 'category'
             WHEN grouping(priority_key) = 0 THEN 'priority'
             ELSE 'overall' END AS dimension,
        coalesce(team_key, system_key, technician_key, category_key, priority_key, 'all') AS value,
        count(*) AS tickets,
        count(*) FILTER (WHERE has_creation) AS measured,
        count(resolution_hours) AS resolved,
        sum(resolution_us) / count(resolution_us) / 3.6e9 AS mttr_hours,
        -- one sort per group gives both quantiles (the median is the 0.5 quantile)
        quantile_cont(resolution_hours, [0.5, 0.9]) AS resolution_quantiles,
        count(first_response_minutes) AS responded,
        sum(first_response_us) / count(first_response_us) / 6e7 AS frt_mean_minutes,
        quantile_cont(first_response_minutes, [0.5, 0.9]) AS frt_quantiles,
        count(*) FILTER (WHERE first_resolved_at IS NOT NULL) AS ever_resolved,
        count(*) FILTER (WHERE reopens > 0) AS reopened,
        count(*) FILTER (WHERE escalations > 0) AS escalated,
        -- NULL counts: the ticket's source cannot measure them (table measurability), so a
        -- rate over none of them is NULL ("not measurable"), never 0.0 %
        count(reopens) FILTER (WHERE first_resolved_at IS NOT NULL) AS reopen_known,
        count(escalations) AS escalation_known,
        count(fcr) AS fcr_known,
        count(*) FILTER (WHERE fcr) AS fcr_tickets
    FROM facts
    GROUP BY GROUPING SETS ((), (team_key), (system_key), (technician_key), (category_key),
                            (priority_key))
),
final AS (
    SELECT
        dimension, value, tickets, measured, resolved, mttr_hours,
        resolution_quantiles[1] AS median_resolution_hours,
        resolution_quantiles[2] AS p90_resolution_hours,
        responded, frt_mean_minutes,
        frt_quantiles[1] AS frt_median_minutes,
        frt_quantiles[2] AS frt_p90_minutes,
        ever_resolved, reopened, escalated, reopen_known, escalation_known, fcr_known,
        fcr_tickets,
        reopened / nullif(reopen_known, 0) AS reopen_rate,
        escalated / nullif(escalation_known, 0) AS escalation_rate,
        fcr_tickets / nullif(fcr_known, 0) AS fcr_rate
    FROM grouped
)
SELECT * FROM final
ORDER BY CASE dimension WHEN 'overall' THEN 0 WHEN 'team' THEN 1 WHEN 'system' THEN 2
         WHEN 'technician' THEN 3 WHEN 'category' THEN 4 ELSE 5 END, tickets DESC, value
