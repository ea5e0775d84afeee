-- Grain: one row per loaded event, written to the workspace's events table.
INSERT INTO events
SELECT e.ticket_id, s.event_seq, e.ts, e.activity, e.assigned_to, e.priority, e.category,
       e.department, e.notes, e.event_id, $source_id, e.source_row, e.attributes
FROM stage_events e
JOIN stage_seq s USING (source_row, sub_row);
