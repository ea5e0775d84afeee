-- Grain: one row per event already in the workspace from earlier exports of the same source
-- (stage_related: the sources of the same name or the same kind). Same fingerprint and
-- occurrence numbering as load_keyed.sql, so a newer export adds only the events (and the
-- extra repeats) the workspace does not hold yet; rid finds the event again to remove it.
CREATE OR REPLACE TEMP TABLE stage_existing AS
SELECT rid, ticket_id, source_id, source_row, fingerprint,
       row_number() OVER (PARTITION BY fingerprint ORDER BY source_id, source_row, rid) - 1
           AS occurrence
FROM (
    SELECT rowid AS rid, ticket_id, source_id, source_row,
           hash(ticket_id, "timestamp", activity, assigned_to, priority, category, department,
                notes, event_id, attributes) AS fingerprint
    FROM events
    WHERE source_id IN (SELECT source_id FROM stage_related)
);
