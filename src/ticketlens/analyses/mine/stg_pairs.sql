-- Staging. Grain: one row per pair of consecutive events of a ticket (the directly-follows
-- relation), with the waiting time between them. Each ticket's events are packed into one
-- 128-bit value each (position << 96 | time since year 1 in microseconds << 32 | activity
-- code), sorted within the ticket and paired with the next: one hash aggregation by ticket
-- instead of a sort of all events.
CREATE OR REPLACE TEMP VIEW mine_pairs AS
WITH packed AS (
    SELECT
        list_sort(list((e.event_seq::HUGEINT << 96)
                       | ((e.t_us + 62135596800000000)::HUGEINT << 32)
                       | c.code)) AS events
    FROM mine_events e
    JOIN mine_activity_codes c USING (activity)
    GROUP BY e.ticket_id
),
pairs AS (
    SELECT unnest(events[:-2]) AS x, unnest(events[2:]) AS y
    FROM packed
)
SELECT
    (x & 4294967295)::INTEGER                                        AS source_code,
    (y & 4294967295)::INTEGER                                        AS target_code,
    -- (y >> 32) - (x >> 32) = 2^64 (one position on) + the time between the two events
    (((y >> 32) - (x >> 32)) - (1::HUGEINT << 64))::DOUBLE / 1e6      AS wait_s
FROM pairs;
