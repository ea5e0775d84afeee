-- Mart. Grain: one row per directly-follows edge (source activity -> target activity),
-- counted from the variants: each variant's edges times its tickets. `frequency` = times the
-- target directly follows the source; `cases` = tickets with the edge at least once.
WITH variants AS (
    SELECT
        cases,
        list_transform(seq[:-2], lambda code, i: code::BIGINT * 4294967296 + seq[i + 1]) AS edges
    FROM mine_variant_keys
),
occurrences AS (
    SELECT edge, sum(cases)::BIGINT AS frequency
    FROM (SELECT unnest(edges) AS edge, cases FROM variants)
    GROUP BY edge
),
presences AS (
    SELECT edge, sum(cases)::BIGINT AS cases
    FROM (SELECT unnest(list_distinct(edges)) AS edge, cases FROM variants)
    GROUP BY edge
),
decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
),
final AS (
    SELECT
        names[(edge // 4294967296)::INTEGER] AS source,
        names[(edge % 4294967296)::INTEGER]  AS target,
        o.frequency,
        p.cases
    FROM occurrences o
    JOIN presences p USING (edge), decoder
)
SELECT * FROM final
ORDER BY frequency DESC, source, target;
