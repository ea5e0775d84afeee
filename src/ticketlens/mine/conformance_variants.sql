-- Mart. Grain: one row per distinct trace (without `anywhere` steps) and its ticket count.
SELECT trace, count(*) AS cases
FROM mine_conformance_traces
GROUP BY trace
ORDER BY cases DESC, trace;
