-- Staging. Grain: one row per distinct trace key of mine_ticket_keys: the decoded activity
-- code sequence `seq` (slots read in order, empty slots dropped), its tickets and their
-- throughput times. Without skipped activities a key is exactly one variant.
CREATE OR REPLACE TEMP TABLE mine_variant_keys AS
WITH grouped AS (
    SELECT
        k0, k1, codes,
        count(*)             AS cases,
        avg(throughput_s)    AS mean_throughput_s,
        median(throughput_s) AS median_throughput_s,
        min(ticket_id)       AS example_ticket
    FROM mine_ticket_keys
    GROUP BY k0, k1, codes
)
SELECT
    *,
    coalesce(codes, list_filter(list_transform(range(2 * $per), lambda i:
        ((CASE WHEN i < $per THEN k0 ELSE k1 END >> ($bits * (i % $per))::HUGEINT)
         & $mask)::INTEGER), lambda code: code > 0)) AS seq
FROM grouped;
