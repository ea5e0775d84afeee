-- Staging. Grain: one row per variant with loops collapsed: a run of one activity repeated back
-- to back counts once (A A B -> A B), as Celonis counts variants. Tickets are regrouped by their
-- collapsed sequence (their throughput time still spans all events). Same columns as
-- mine_variant_keys, so variants.sql ranks either.
CREATE OR REPLACE TEMP VIEW mine_variants_collapsed AS
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
final AS (
    SELECT
        seq,
        count(*)             AS cases,
        avg(throughput_s)    AS mean_throughput_s,
        median(throughput_s) AS median_throughput_s,
        min(ticket_id)       AS example_ticket
    FROM tickets
    GROUP BY seq
)
SELECT * FROM final;
