-- Staging. Grain: one row per directly-follows edge (source activity -> target activity): how
-- often it occurs, the tickets showing it (from mine_variant_edges) and the waiting time between
-- the two events in seconds: mean, median, 90th percentile (linear interpolation), min, max,
-- total. Shared by the performance DFG and the bottleneck marts.
CREATE OR REPLACE TEMP VIEW mine_edge_waits AS
WITH grouped AS (
    SELECT
        source_code,
        target_code,
        count(*)                                  AS frequency,
        avg(wait_s)                               AS mean_s,
        quantile_cont(wait_s, [0.5, 0.9])         AS quantiles,
        min(wait_s)                               AS min_s,
        max(wait_s)                               AS max_s,
        sum(wait_s)                               AS total_s
    FROM mine_pairs
    GROUP BY source_code, target_code
),
decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
),
final AS (
    SELECT
        names[g.source_code] AS source,
        names[g.target_code] AS target,
        frequency,
        v.cases,
        mean_s,
        quantiles[1]       AS median_s,
        quantiles[2]       AS p90_s,
        min_s,
        max_s,
        total_s
    FROM grouped g
    JOIN mine_variant_edges v USING (source_code, target_code), decoder
)
SELECT * FROM final;
