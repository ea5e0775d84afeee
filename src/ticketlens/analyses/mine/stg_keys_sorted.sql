-- Staging. Grain: one row per ticket: its trace as the list of activity codes in event_seq
-- order (for traces too long for the fingerprint of stg_keys_fingerprint.sql: each ticket's
-- events are sorted within the ticket, packed with their position) and its throughput time.
CREATE OR REPLACE TEMP VIEW mine_ticket_keys AS
SELECT
    e.ticket_id,
    NULL::HUGEINT                       AS k0,
    NULL::HUGEINT                       AS k1,
    coalesce(list_transform(
        list_sort(list((e.event_seq::BIGINT << 32) | c.code) FILTER (WHERE c.code IS NOT NULL)),
        lambda packed: (packed & 4294967295)::INTEGER), [])  AS codes,
    (max(e.t_us) - min(e.t_us)) / 1e6   AS throughput_s
FROM mine_events e
LEFT JOIN mine_trace_codes c USING (activity)
GROUP BY e.ticket_id;
