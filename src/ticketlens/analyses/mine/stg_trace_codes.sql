-- Staging. Grain: one row per activity that counts in traces: every activity except the
-- $skip ones (a reference model's `anywhere` steps), with its code.
CREATE OR REPLACE TEMP TABLE mine_trace_codes AS
SELECT activity, code
FROM mine_activity_codes
WHERE NOT list_contains($skip, activity);
