-- Mart. Grain: one row per activity, with the time tickets stay after it until their next
-- event (the dwell in the status the activity starts: "Awaiting Parts" waits for parts):
-- total, per affected ticket, per occurrence, and its share of all waiting. A ticket's last
-- event has no next event and adds nothing.
WITH grouped AS (
    SELECT
        source_code,
        count(*)                              AS occurrences,
        sum(wait_s)                           AS total_dwell_s,
        avg(wait_s)                           AS mean_dwell_s,
        quantile_cont(wait_s, [0.5, 0.9])     AS quantiles,
        max(wait_s)                           AS max_dwell_s
    FROM mine_pairs
    GROUP BY source_code
),
decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
),
final AS (
    SELECT
        names[g.source_code]                                   AS activity,
        occurrences,
        v.cases,
        total_dwell_s,
        total_dwell_s / v.cases                                AS per_case_dwell_s,
        mean_dwell_s,
        quantiles[1]                                           AS median_dwell_s,
        quantiles[2]                                           AS p90_dwell_s,
        max_dwell_s,
        total_dwell_s / nullif(sum(total_dwell_s) OVER (), 0)  AS share_of_waiting
    FROM grouped g
    JOIN mine_variant_edges v ON v.source_code = g.source_code AND v.target_code IS NULL,
         decoder
)
SELECT * FROM final
ORDER BY total_dwell_s DESC, activity;
