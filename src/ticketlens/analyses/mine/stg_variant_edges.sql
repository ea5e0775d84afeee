-- Staging. Grain: one row per (source, target) activity code pair that directly follows in
-- some variant, and per source activity (target_code NULL): the tickets showing it (each
-- variant's distinct pairs / non-final activities times its tickets; see
-- stg_variant_keys.sql). Ticket counts without a DISTINCT over ticket ids.
CREATE OR REPLACE TEMP TABLE mine_variant_edges AS
WITH variants AS (
    SELECT
        cases,
        list_transform(seq[:-2], lambda code, i: code::BIGINT * 4294967296 + seq[i + 1]) AS edges,
        list_distinct(seq[:-2]) AS sources
    FROM mine_variant_keys
),
edge_cases AS (
    SELECT edge, sum(cases)::BIGINT AS cases
    FROM (SELECT unnest(list_distinct(edges)) AS edge, cases FROM variants)
    GROUP BY edge
),
source_cases AS (
    SELECT source, sum(cases)::BIGINT AS cases
    FROM (SELECT unnest(sources) AS source, cases FROM variants)
    GROUP BY source
)
SELECT (edge // 4294967296)::INTEGER AS source_code, (edge % 4294967296)::INTEGER AS target_code,
       cases
FROM edge_cases
UNION ALL
SELECT source::INTEGER, NULL::INTEGER, cases
FROM source_cases;
