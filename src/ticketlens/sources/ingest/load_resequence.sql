-- Grain: one row per event of the tickets that now hold events from more than one ingest.
-- Renumbers event_seq over all their events: by timestamp, then source, then source order.
UPDATE events e SET event_seq = r.seq
FROM (
    SELECT rowid AS rid,
           row_number() OVER (PARTITION BY ticket_id
                              ORDER BY "timestamp", source_id, source_row, event_seq) - 1 AS seq
    FROM events
    WHERE ticket_id IN (SELECT ticket_id FROM stage_overlap)
) r
WHERE e.rowid = r.rid AND e.event_seq <> r.seq;
