-- Grain: one row per event to load (stage_new: the staged events minus those dropped by
-- --dedupe or already present from an earlier export of the same source). Narrow on purpose:
-- sorting keys only is several times cheaper than sorting whole events.
-- event_seq: position within the ticket by timestamp, stable on source order (and, for events
-- made from one row, on the mapping's order).
-- out_of_order: the event is earlier than an event listed before it for the same ticket.
-- same_instant: another event of the ticket has the same timestamp (only such events can be
-- exact duplicates, so the expensive whole-event comparison looks at these alone).
CREATE OR REPLACE TEMP TABLE stage_seq AS
SELECT source_row, sub_row, ticket_id, ts,
       row_number() OVER by_time - 1 AS event_seq,
       coalesce(ts < max(ts) OVER (PARTITION BY ticket_id ORDER BY source_row, sub_row
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                false) AS out_of_order,
       coalesce(lag(ts) OVER by_time = ts, false)
           OR coalesce(lead(ts) OVER by_time = ts, false) AS same_instant
FROM stage_new
WINDOW by_time AS (PARTITION BY ticket_id ORDER BY ts, source_row, sub_row);
