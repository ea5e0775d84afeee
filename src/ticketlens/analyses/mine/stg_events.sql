-- Staging. Grain: one row per event of the tickets in the segment.
-- Renames only: the holder of the ticket is the `resource`; the timestamp also as epoch
-- microseconds so waiting times are exact integer differences.
CREATE OR REPLACE TEMP VIEW mine_events AS
SELECT
    ticket_id,
    event_seq,
    "timestamp"                AS ts,
    epoch_us("timestamp")      AS t_us,
    activity,
    assigned_to                AS resource,
    priority,
    category
FROM mine_segment_events;
