-- Mart. Grain: one row per variant (distinct activity sequence), most frequent first; ties
-- broken by the sequence itself (activity names compared in order) so ranks are stable.
-- Reads mine_variant_rows: the plain variants (mine_variant_keys) or the loop-collapsed ones
-- (stg_variants_collapsed.sql), chosen by variants.py.
-- $top / $coverage (NULL = no limit) keep the top-k variants or the most frequent variants
-- until they cover that fraction of tickets (the variant crossing the line is kept).
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (ORDER BY cases DESC, seq)                         AS variant,
        sum(cases) OVER (ORDER BY cases DESC, seq ROWS UNBOUNDED PRECEDING)  AS covered,
        sum(cases) OVER ()                                                   AS total
    FROM mine_variant_rows
),
decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
),
final AS (
    SELECT
        variant,
        list_transform(seq, lambda code: names[code]) AS activities,
        len(seq)                                      AS length,
        cases,
        cases / total                                 AS share,
        covered / total                               AS cumulative_share,
        mean_throughput_s,
        median_throughput_s,
        example_ticket
    FROM ranked, decoder
    WHERE ($top IS NULL OR variant <= $top)
      AND ($coverage IS NULL OR covered - cases < $coverage * total)
)
SELECT * FROM final
ORDER BY variant;
