-- Filter. Grain: one row per ticket whose variant is among the most frequent variants that
-- together cover the fraction $coverage of tickets (Disco-style "paths" slider).
CREATE OR REPLACE TEMP TABLE mine_kept AS
WITH grouped AS (
    SELECT trace, count(*) AS cases FROM mine_traces GROUP BY trace
),
ranked AS (
    SELECT
        trace,
        sum(cases) OVER (ORDER BY cases DESC, trace ROWS UNBOUNDED PRECEDING) - cases AS before,
        sum(cases) OVER ()                                                         AS total
    FROM grouped
)
SELECT t.ticket_id
FROM mine_traces t
JOIN ranked r USING (trace)
WHERE r.before < $coverage * r.total;
