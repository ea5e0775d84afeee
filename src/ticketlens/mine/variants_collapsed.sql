-- Mart. Grain: one row per variant with loops collapsed: a run of one activity repeated back to
-- back counts once (A A B -> A B), as Celonis counts variants. Tickets are regrouped by their
-- collapsed sequence (their throughput time still spans all events). Ranking and the $top /
-- $coverage limits as in variants.sql.
WITH collapsed AS (
    SELECT k0, k1, codes,
           list_filter(seq, lambda code, i: i = 1 OR code <> seq[i - 1]) AS seq
    FROM mine_variant_keys
),
tickets AS (
    SELECT c.seq, t.ticket_id, t.throughput_s
    FROM mine_ticket_keys t
    JOIN collapsed c
      ON t.k0 IS NOT DISTINCT FROM c.k0 AND t.k1 IS NOT DISTINCT FROM c.k1
     AND t.codes IS NOT DISTINCT FROM c.codes
),
grouped AS (
    SELECT
        seq,
        count(*)             AS cases,
        avg(throughput_s)    AS mean_throughput_s,
        median(throughput_s) AS median_throughput_s,
        min(ticket_id)       AS example_ticket
    FROM tickets
    GROUP BY seq
),
ranked AS (
    SELECT
        *,
        row_number() OVER (ORDER BY cases DESC, seq)                         AS variant,
        sum(cases) OVER (ORDER BY cases DESC, seq ROWS UNBOUNDED PRECEDING)  AS covered,
        sum(cases) OVER ()                                                   AS total
    FROM grouped
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
