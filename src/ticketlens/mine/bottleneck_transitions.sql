-- Mart. Grain: one row per transition (activity -> next activity in the same ticket), with
-- the waiting time between the two events: total, per affected ticket (total / tickets with
-- the transition, from mine_variant_edges), per occurrence (mean, median, p90, max) and its
-- share of all waiting.
WITH grouped AS (
    SELECT
        source_code,
        target_code,
        count(*)                              AS occurrences,
        sum(wait_s)                           AS total_wait_s,
        avg(wait_s)                           AS mean_wait_s,
        quantile_cont(wait_s, [0.5, 0.9])     AS quantiles,
        max(wait_s)                           AS max_wait_s
    FROM mine_pairs
    GROUP BY source_code, target_code
),
decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
),
final AS (
    SELECT
        names[g.source_code]                                  AS source,
        names[g.target_code]                                  AS target,
        occurrences,
        v.cases,
        total_wait_s,
        total_wait_s / v.cases                                AS per_case_wait_s,
        mean_wait_s,
        quantiles[1]                                          AS median_wait_s,
        quantiles[2]                                          AS p90_wait_s,
        max_wait_s,
        total_wait_s / nullif(sum(total_wait_s) OVER (), 0)  AS share_of_waiting
    FROM grouped g
    JOIN mine_variant_edges v USING (source_code, target_code), decoder
)
SELECT * FROM final
ORDER BY total_wait_s DESC, source, target;
