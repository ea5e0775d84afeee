-- Mart. Grain: one row per (source, target) pair of ticket holders: how often the work passed
-- directly from one to the other within a ticket (consecutive events held by source then
-- target), in how many tickets, and the handover delay (source's event to target's, seconds).
-- $include_unassigned: events nobody holds count as the holder $unassigned (else skipped);
-- $include_self: a holder followed by itself counts too (pm4py's handover network does both).
-- Like stg_pairs.sql: each ticket's events packed (position, time, holder code) and sorted
-- within the ticket, then paired with the next; `first_edge` counts tickets without DISTINCT.
WITH holders AS (
    SELECT holder, (row_number() OVER (ORDER BY holder))::INTEGER AS code
    FROM (SELECT DISTINCT coalesce(resource, $unassigned) AS holder
          FROM mine_events
          WHERE resource IS NOT NULL OR $include_unassigned)
),
packed AS (
    SELECT
        list_sort(list((e.event_seq::HUGEINT << 96)
                       | ((e.t_us + 62135596800000000)::HUGEINT << 32)
                       | c.code)) AS events
    FROM mine_events e
    JOIN holders c ON c.holder = coalesce(e.resource, $unassigned)
    WHERE e.resource IS NOT NULL OR $include_unassigned
    GROUP BY e.ticket_id
),
lists AS (
    SELECT
        events[:-2] AS sources,
        events[2:]  AS targets,
        list_transform(events[:-2], lambda v, i:
            ((v & 4294967295) << 32) | (events[i + 1] & 4294967295)) AS edges
    FROM packed
),
pairs AS (
    SELECT
        unnest(sources) AS x,
        unnest(targets) AS y,
        unnest(list_transform(edges, lambda edge, i: list_position(edges, edge) = i))
            AS first_edge
    FROM lists
),
decoded AS (
    SELECT
        (x & 4294967295)::INTEGER                                    AS source_code,
        (y & 4294967295)::INTEGER                                    AS target_code,
        (((y >> 32) - (x >> 32)) - (1::HUGEINT << 64))::DOUBLE / 1e6  AS delay_s,
        first_edge
    FROM pairs
),
network AS (
    SELECT
        source_code,
        target_code,
        count(*)                              AS handovers,
        count(*) FILTER (WHERE first_edge)    AS cases,
        avg(delay_s)                          AS mean_delay_s,
        max(delay_s)                          AS max_delay_s
    FROM decoded
    WHERE $include_self OR source_code <> target_code
    GROUP BY source_code, target_code
),
decoder AS (
    SELECT list(holder ORDER BY code) AS names FROM holders
),
final AS (
    SELECT
        names[n.source_code] AS source,
        names[n.target_code] AS target,
        s.tier               AS source_tier,
        t.tier               AS target_tier,
        n.handovers,
        n.cases,
        n.mean_delay_s,
        n.max_delay_s
    FROM network n
    CROSS JOIN decoder
    LEFT JOIN mine_roster s ON s.resource = names[n.source_code]
    LEFT JOIN mine_roster t ON t.resource = names[n.target_code]
)
SELECT * FROM final
ORDER BY handovers DESC, source, target;
