-- Staging. Grain: one row per activity of the segment: a small integer code (1..n, in name
-- order, so comparing code lists compares activity names).
CREATE OR REPLACE TEMP TABLE mine_activity_codes AS
SELECT activity, (row_number() OVER (ORDER BY activity))::INTEGER AS code
FROM (SELECT DISTINCT activity FROM mine_events);
