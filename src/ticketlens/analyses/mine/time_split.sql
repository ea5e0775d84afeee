-- Mart. Grain: one row per ticket: its life (first to last event, seconds) split by the state
-- the ticket was in between consecutive events. The state after an event comes from
-- mine_state_map (activity -> state code 1..7; code 0 = keeps the state before, as Priority
-- Changed does); activities the map lacks start 'unclassified' time (code 8), and so does the
-- time before a ticket's first state-setting event. Each ticket's events are packed (position,
-- time, state code), sorted within the ticket, and the keep-state events dropped, so the state
-- before them simply lasts until the next state-setting event (or the ticket's last event).
-- The parts sum exactly to life_s. `closed` = the last event is a closing activity ($closing).
WITH coded AS (
    SELECT
        e.ticket_id,
        e.event_seq,
        e.t_us,
        e.activity,
        CASE WHEN m.activity IS NULL THEN 8 ELSE m.code END AS state
    FROM mine_events e
    LEFT JOIN mine_state_map m USING (activity)
),
per_ticket AS (
    SELECT
        ticket_id,
        list_sort(list((event_seq::HUGEINT << 96)
                       | ((t_us + 62135596800000000)::HUGEINT << 32)
                       | state)) AS events,
        min(t_us) + 62135596800000000                      AS first_t,
        max(t_us) + 62135596800000000                      AS last_t,
        list_contains($closing, arg_max(activity, event_seq)) AS closed
    FROM coded
    GROUP BY ticket_id
),
kept AS (
    SELECT
        ticket_id, first_t, last_t, closed,
        list_transform(list_filter(events, lambda v: (v & 4294967295) <> 0), lambda v:
            struct_pack(state := (v & 4294967295)::INTEGER,
                        t := ((v >> 32) - ((v >> 96) << 64))::BIGINT)) AS steps
    FROM per_ticket
),
spans AS (
    SELECT
        ticket_id, closed,
        (last_t - first_t) / 1e6                                        AS life_s,
        (coalesce(steps[1].t, last_t) - first_t) / 1e6                  AS before_s,
        list_transform(steps, lambda s: s.state)                         AS states,
        list_transform(steps, lambda s, i:
            ((CASE WHEN i < len(steps) THEN steps[i + 1].t ELSE last_t END) - s.t) / 1e6)
                                                                         AS seconds
    FROM kept
),
final AS (
    SELECT
        ticket_id,
        life_s,
        coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 1 THEN seconds[i] ELSE 0 END)), 0) AS waiting_user_s,
        coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 2 THEN seconds[i] ELSE 0 END)), 0) AS waiting_parts_s,
        coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 3 THEN seconds[i] ELSE 0 END)), 0) AS on_hold_s,
        coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 4 THEN seconds[i] ELSE 0 END)), 0) AS in_queue_s,
        coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 5 THEN seconds[i] ELSE 0 END)), 0) AS in_work_s,
        coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 6 THEN seconds[i] ELSE 0 END)), 0) AS awaiting_closure_s,
        coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 7 THEN seconds[i] ELSE 0 END)), 0) AS closed_s,
        before_s + coalesce(list_sum(list_transform(states, lambda s, i: CASE WHEN s = 8 THEN seconds[i] ELSE 0 END)), 0) AS unclassified_s,
        closed
    FROM spans
)
SELECT * FROM final
ORDER BY ticket_id;
