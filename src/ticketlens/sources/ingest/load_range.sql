-- Grain: one row per staged event whose instant, converted to UTC, lies outside years 1-9999
-- (e.g. 9999-12-31T23:30:00-05:00 is year 10000 in UTC). DuckDB holds such instants but
-- Python, pandas and every reader of a written CSV cannot, so the row is quarantined.
CREATE OR REPLACE TEMP TABLE stage_out_of_range AS
SELECT source_row, min(ts) AS ts
FROM stage_events
WHERE epoch_us(ts) < -62135596800000000        -- 0001-01-01T00:00:00Z
   OR epoch_us(ts) > 253402300799999999        -- 9999-12-31T23:59:59.999999Z
GROUP BY source_row;
