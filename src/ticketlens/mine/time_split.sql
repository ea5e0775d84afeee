-- Mart. Grain: one row per ticket: its life (first to last event, seconds) split by the state
-- the ticket was in between consecutive events. The state after an event comes from the
-- state map (mine_state_map: activity -> state; NULL state = keeps the state before, as
-- Priority Changed does); activities the map lacks start 'unclassified' time. The parts sum
-- exactly to life_s. `closed` = the last event is a closing activity ($closing).
WITH classified AS (
    SELECT
        e.ticket_id,
        e.event_seq,
        e.t_us,
        e.activity,
        CASE WHEN m.activity IS NULL THEN 'unclassified' ELSE m.state END AS own_state
    FROM mine_events e
    LEFT JOIN mine_state_map m USING (activity)
),
intervals AS (
    SELECT
        ticket_id,
        event_seq,
        activity,
        (lead(t_us) OVER per_ticket - t_us) / 1e6                                  AS span_s,
        coalesce(last_value(own_state IGNORE NULLS) OVER per_ticket, 'unclassified') AS state
    FROM classified
    WINDOW per_ticket AS (PARTITION BY ticket_id ORDER BY event_seq
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
final AS (
    SELECT
        ticket_id,
        coalesce(sum(span_s), 0)                                               AS life_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'waiting_user'), 0)        AS waiting_user_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'waiting_parts'), 0)       AS waiting_parts_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'on_hold'), 0)             AS on_hold_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'in_queue'), 0)            AS in_queue_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'in_work'), 0)             AS in_work_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'awaiting_closure'), 0)    AS awaiting_closure_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'closed'), 0)              AS closed_s,
        coalesce(sum(span_s) FILTER (WHERE state = 'unclassified'), 0)        AS unclassified_s,
        list_contains($closing, arg_max(activity, event_seq))                 AS closed
    FROM intervals
    GROUP BY ticket_id
)
SELECT * FROM final
ORDER BY ticket_id;
