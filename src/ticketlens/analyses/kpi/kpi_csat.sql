-- Mart. Grain: one row per dimension (overall, priority, category, channel, team, system,
-- technician) and value, over the tickets that carry a satisfaction rating: count, mean,
-- median and the share rated 4 or more (on the usual 1-5 scale).
WITH rated AS (
    SELECT * FROM _kpi_facts WHERE csat IS NOT NULL
),
grouped AS (
    SELECT
        CASE WHEN grouping(priority_key) = 0 THEN 'priority'
             WHEN grouping(category_key) = 0 THEN 'category'
             WHEN grouping(channel_key) = 0 THEN 'channel'
             WHEN grouping(team_key) = 0 THEN 'team'
             WHEN grouping(system_key) = 0 THEN 'system'
             WHEN grouping(technician_key) = 0 THEN 'technician'
             ELSE 'overall' END AS dimension,
        coalesce(priority_key, category_key, channel_key, team_key, system_key, technician_key,
                 'all') AS value,
        count(*) AS rated,
        avg(csat) AS mean_csat,
        median(csat) AS median_csat,
        count(*) FILTER (WHERE csat >= 4) / count(*) AS satisfied_share
    FROM rated
    GROUP BY GROUPING SETS ((), (priority_key), (category_key), (channel_key), (team_key),
                            (system_key), (technician_key))
)
SELECT * FROM grouped
ORDER BY CASE dimension WHEN 'overall' THEN 0 WHEN 'priority' THEN 1 WHEN 'category' THEN 2
         WHEN 'channel' THEN 3 WHEN 'team' THEN 4 WHEN 'system' THEN 5 ELSE 6 END, rated DESC, value
