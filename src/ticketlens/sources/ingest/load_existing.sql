-- Grain: one row per event already in the workspace from earlier ingests of the same source
-- (same source name). Same fingerprint and occurrence numbering as load_keyed.sql, so a newer
-- export adds only the events (and the extra repeats) the workspace does not hold yet.
CREATE OR REPLACE TEMP TABLE stage_existing AS
SELECT fingerprint,
       row_number() OVER (PARTITION BY fingerprint ORDER BY source_id, source_row) - 1 AS occurrence
FROM (
    SELECT hash(ticket_id, "timestamp", activity, assigned_to, priority, category, department,
                notes, event_id, attributes) AS fingerprint,
           source_id, source_row
    FROM events
    WHERE source_id IN (SELECT source_id FROM sources WHERE name = $name)
);
