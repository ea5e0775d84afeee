-- Mart. Grain: one row per transition (activity -> next activity in the same ticket), with
-- the waiting time between the two events: total, per affected ticket (total / tickets with
-- the transition), per occurrence (mean, median, p90, max) and its share of all waiting.
WITH grouped AS (
    SELECT
        source_code,
        target_code,
        count(*)                              AS occurrences,
        count(*) FILTER (WHERE first_edge)    AS cases,
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
        names[source_code]                                    AS source,
        names[target_code]                                    AS target,
        occurrences,
        cases,
        total_wait_s,
        total_wait_s / cases                                  AS per_case_wait_s,
        mean_wait_s,
        quantiles[1]                                          AS median_wait_s,
        quantiles[2]                                          AS p90_wait_s,
        max_wait_s,
        total_wait_s / nullif(sum(total_wait_s) OVER (), 0)  AS share_of_waiting
    FROM grouped, decoder
)
SELECT * FROM final
ORDER BY total_wait_s DESC, source, target;
