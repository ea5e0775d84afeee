-- Filter. Grain: one row per ticket whose variant is among the most frequent variants that
-- together cover the fraction $coverage of tickets (Disco-style "paths" slider).
CREATE OR REPLACE TEMP TABLE mine_kept AS
WITH ranked AS (
    SELECT
        k0, k1, codes,
        sum(cases) OVER (ORDER BY cases DESC, seq ROWS UNBOUNDED PRECEDING) - cases AS before,
        sum(cases) OVER ()                                                         AS total
    FROM mine_variant_keys
)
SELECT t.ticket_id
FROM mine_ticket_keys t
JOIN ranked r
  ON t.k0 IS NOT DISTINCT FROM r.k0 AND t.k1 IS NOT DISTINCT FROM r.k1
 AND t.codes IS NOT DISTINCT FROM r.codes
WHERE r.before < $coverage * r.total;
