-- Mart. Grain: one row per transition (activity -> next activity in the same ticket), with
-- the waiting time between the two events: total, per affected ticket (total / tickets with
-- the transition), per occurrence (mean, median, p90, max) and its share of all waiting.
WITH steps AS (
    SELECT ticket_id, activity AS source, next_activity AS target, wait_s
    FROM mine_steps
    WHERE next_activity IS NOT NULL
),
grouped AS (
    SELECT
        source,
        target,
        count(*)                    AS occurrences,
        count(DISTINCT ticket_id)   AS cases,
        sum(wait_s)                 AS total_wait_s,
        avg(wait_s)                 AS mean_wait_s,
        median(wait_s)              AS median_wait_s,
        quantile_cont(wait_s, 0.9)  AS p90_wait_s,
        max(wait_s)                 AS max_wait_s
    FROM steps
    GROUP BY source, target
),
final AS (
    SELECT
        source,
        target,
        occurrences,
        cases,
        total_wait_s,
        total_wait_s / cases                                  AS per_case_wait_s,
        mean_wait_s,
        median_wait_s,
        p90_wait_s,
        max_wait_s,
        total_wait_s / nullif(sum(total_wait_s) OVER (), 0)  AS share_of_waiting
    FROM grouped
)
SELECT * FROM final
ORDER BY total_wait_s DESC, source, target;
