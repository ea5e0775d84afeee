-- Mart. Grain: one row per transition (activity -> next activity in the same ticket), with
-- the waiting time between the two events: total, per affected ticket (total / tickets with
-- the transition), per occurrence (mean, median, p90, max) and its share of all waiting.
WITH edges AS (
    SELECT * FROM mine_edge_waits
),
final AS (
    SELECT
        source,
        target,
        frequency                                   AS occurrences,
        cases,
        total_s                                     AS total_wait_s,
        total_s / cases                             AS per_case_wait_s,
        mean_s                                      AS mean_wait_s,
        median_s                                    AS median_wait_s,
        p90_s                                       AS p90_wait_s,
        max_s                                       AS max_wait_s,
        total_s / nullif(sum(total_s) OVER (), 0)   AS share_of_waiting
    FROM edges
)
SELECT * FROM final
ORDER BY total_wait_s DESC, source, target;
