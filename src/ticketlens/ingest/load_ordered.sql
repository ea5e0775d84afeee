-- Grain: one row per event to load (stage_new: the staged events minus those dropped by
-- --dedupe or already present from an earlier export of the same source). Narrow on purpose:
-- sorting keys only is several times cheaper than sorting whole events.
-- event_seq: position within the ticket by timestamp, stable on source order (and, for events
-- made from one row, on the mapping's order).
-- out_of_order: the event is earlier than an event listed before it for the same ticket.
CREATE OR REPLACE TEMP TABLE stage_seq AS
SELECT source_row, sub_row, ticket_id, ts,
       row_number() OVER (PARTITION BY ticket_id ORDER BY ts, source_row, sub_row) - 1
           AS event_seq,
       coalesce(ts < max(ts) OVER (PARTITION BY ticket_id ORDER BY source_row, sub_row
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                false) AS out_of_order
FROM stage_new;
