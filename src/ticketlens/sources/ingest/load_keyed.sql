-- Grain: one row per staged event of the source being loaded (narrow: keys only).
-- fingerprint: hash of every canonical column (attributes included); occurrence: 0 for the first
-- event with that fingerprint in source order, 1 for its first exact repeat, ...; keep: false
-- for the repeats --dedupe drops.
-- Only needed with --dedupe or when earlier exports of the source are in the workspace.
CREATE OR REPLACE TEMP TABLE stage_keyed AS
SELECT *, occurrence = 0 OR NOT $dedupe AS keep
FROM (
    SELECT source_row, sub_row, ticket_id, ts, fingerprint,
           row_number() OVER (PARTITION BY fingerprint ORDER BY source_row, sub_row) - 1
               AS occurrence
    FROM (
        SELECT source_row, sub_row, ticket_id, ts,
               hash(ticket_id, ts, activity, assigned_to, priority, category, department,
                    notes, event_id, attributes) AS fingerprint
        FROM stage_events
    )
);
