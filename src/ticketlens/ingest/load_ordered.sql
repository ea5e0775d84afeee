-- Grain: one row per event to load.
-- event_seq: position within the ticket by timestamp, stable on source order.
-- out_of_order: the event is earlier than an event listed before it for the same ticket.
CREATE OR REPLACE TEMP TABLE stage_ordered AS
SELECT *,
       row_number() OVER (PARTITION BY ticket_id ORDER BY ts, source_row) - 1 AS event_seq,
       coalesce(ts < max(ts) OVER (PARTITION BY ticket_id ORDER BY source_row
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                false) AS out_of_order
FROM stage_new;
