-- Grain: one row per event at or before the as-of instant ($as_of_us, µs since the epoch), from
-- the event index, in (tix, event_seq) order: the index stores them so and a scan keeps it
-- (the reader checks). Every text column is its event_values code (-1: NULL).
SELECT tix, event_seq, ts_us, act, prio, holder, cat, dept
FROM event_codes
WHERE ts_us <= $as_of_us
