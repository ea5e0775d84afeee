-- Mart. Grain: one row per directly-follows edge (source activity -> target activity), with
-- the waiting time between the two events (seconds from the source event's timestamp to the
-- target event's): mean, median, 90th percentile (linear interpolation), min, max, total.
WITH steps AS (
    SELECT ticket_id, activity AS source, next_activity AS target, wait_s
    FROM mine_steps
    WHERE next_activity IS NOT NULL
),
final AS (
    SELECT
        source,
        target,
        count(*)                          AS frequency,
        count(DISTINCT ticket_id)         AS cases,
        avg(wait_s)                       AS mean_s,
        median(wait_s)                    AS median_s,
        quantile_cont(wait_s, 0.9)        AS p90_s,
        min(wait_s)                       AS min_s,
        max(wait_s)                       AS max_s,
        sum(wait_s)                       AS total_s
    FROM steps
    GROUP BY source, target
)
SELECT * FROM final
ORDER BY frequency DESC, source, target;
