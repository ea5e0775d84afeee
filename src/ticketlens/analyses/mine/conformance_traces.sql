-- Mart. Grain: one row per distinct trace of mine_conformance_traces (most tickets first):
-- its id, its tickets, and its activities in order.
WITH decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
)
SELECT
    t.trace_id,
    t.cases,
    list_transform(t.seq, lambda code: names[code]) AS activities
FROM mine_conformance_traces t, decoder
ORDER BY t.trace_id;
