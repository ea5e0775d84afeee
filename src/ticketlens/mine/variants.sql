-- Mart. Grain: one row per variant (distinct activity sequence), most frequent first; ties
-- broken by the sequence itself (activity names compared in order) so ranks are stable.
-- $top / $coverage (NULL = no limit) keep the top-k variants or the most frequent variants
-- until they cover that fraction of tickets (the variant crossing the line is kept).
WITH grouped AS (
    SELECT
        trace,
        count(*)             AS cases,
        avg(throughput_s)    AS mean_throughput_s,
        median(throughput_s) AS median_throughput_s,
        min(ticket_id)       AS example_ticket
    FROM mine_traces
    GROUP BY trace
),
ranked AS (
    SELECT
        *,
        row_number() OVER (ORDER BY cases DESC, trace)                   AS variant,
        sum(cases) OVER (ORDER BY cases DESC, trace ROWS UNBOUNDED PRECEDING) AS covered,
        sum(cases) OVER ()                                                AS total
    FROM grouped
),
decoder AS (
    SELECT map_from_entries(list(struct_pack(k := code, v := activity))) AS names
    FROM mine_activity_codes
),
final AS (
    SELECT
        variant,
        list_transform(string_split(trace, ''), lambda c: names[c]) AS activities,
        length(trace)                          AS length,
        cases,
        cases / total                          AS share,
        covered / total                        AS cumulative_share,
        mean_throughput_s,
        median_throughput_s,
        example_ticket
    FROM ranked, decoder
    WHERE ($top IS NULL OR variant <= $top)
      AND ($coverage IS NULL OR covered - cases < $coverage * total)
)
SELECT * FROM final
ORDER BY variant;
