-- Staging. Grain: one row per pair of consecutive events of a ticket (the directly-follows
-- relation). Each ticket's events are packed into one 128-bit value each (position << 96 |
-- time since year 1 in microseconds << 32 | activity code), sorted within the ticket and
-- paired with the next: one hash aggregation by ticket instead of a sort of all events.
-- `first_edge` / `first_source` mark the first time a ticket shows that pair / that source
-- activity, so tickets are counted without a DISTINCT over ticket ids.
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
coded AS (
    SELECT events, list_transform(events, lambda v: (v & 4294967295)::INTEGER) AS codes
    FROM packed
),
lists AS (
    SELECT
        events[:-2] AS sources,
        events[2:]  AS targets,
        codes[:-2]  AS source_codes,
        list_transform(codes[:-2], lambda code, i: code::BIGINT * 4294967296 + codes[i + 1])
                    AS edges
    FROM coded
),
pairs AS (
    SELECT
        unnest(sources) AS x,
        unnest(targets) AS y,
        unnest(list_transform(edges, lambda edge, i: list_position(edges, edge) = i))
            AS first_edge,
        unnest(list_transform(source_codes, lambda code, i:
            list_position(source_codes, code) = i)) AS first_source
    FROM lists
)
SELECT
    (x & 4294967295)::INTEGER                                        AS source_code,
    (y & 4294967295)::INTEGER                                        AS target_code,
    -- (y >> 32) - (x >> 32) = 2^64 (one position on) + the time between the two events
    (((y >> 32) - (x >> 32)) - (1::HUGEINT << 64))::DOUBLE / 1e6      AS wait_s,
    first_edge,
    first_source
FROM pairs;
