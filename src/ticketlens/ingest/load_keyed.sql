-- Grain: one row per staged event of the source being loaded (a view: computed while loading).
-- fingerprint: hash of every canonical column (attributes included); occurrence: 0 for the first
-- event with that fingerprint in source order, 1 for its first exact repeat, ...
CREATE OR REPLACE TEMP VIEW stage_keyed AS
SELECT *,
       row_number() OVER (PARTITION BY fingerprint ORDER BY source_row, sub_row) - 1 AS occurrence
FROM (
    SELECT *,
           hash(ticket_id, ts, activity, assigned_to, priority, category, department, notes,
                event_id, attributes) AS fingerprint
    FROM stage_events
);
