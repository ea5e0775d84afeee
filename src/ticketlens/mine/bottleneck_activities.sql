-- Mart. Grain: one row per activity, with the time tickets stay after it until their next
-- event (the dwell in the status the activity starts: "Awaiting Parts" waits for parts):
-- total, per affected ticket, per occurrence, and its share of all waiting. A ticket's last
-- event has no next event and adds nothing.
WITH steps AS (
    SELECT ticket_id, activity, wait_s
    FROM mine_steps
    WHERE next_activity IS NOT NULL
),
grouped AS (
    SELECT
        activity,
        count(*)                    AS occurrences,
        count(DISTINCT ticket_id)   AS cases,
        sum(wait_s)                 AS total_dwell_s,
        avg(wait_s)                 AS mean_dwell_s,
        median(wait_s)              AS median_dwell_s,
        quantile_cont(wait_s, 0.9)  AS p90_dwell_s,
        max(wait_s)                 AS max_dwell_s
    FROM steps
    GROUP BY activity
),
final AS (
    SELECT
        activity,
        occurrences,
        cases,
        total_dwell_s,
        total_dwell_s / cases                                  AS per_case_dwell_s,
        mean_dwell_s,
        median_dwell_s,
        p90_dwell_s,
        max_dwell_s,
        total_dwell_s / nullif(sum(total_dwell_s) OVER (), 0)  AS share_of_waiting
    FROM grouped
)
SELECT * FROM final
ORDER BY total_dwell_s DESC, activity;
