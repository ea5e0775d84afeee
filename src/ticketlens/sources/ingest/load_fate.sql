-- Grain: one row per ticket of the export being loaded: what happens to its history.
-- added: no earlier export of the source holds the ticket. kept: an earlier-loaded export
-- with a later export time holds it, so this (older) export's history of it is not loaded.
-- held: an earlier export holds it and this one is as new or newer — its history replaces
-- the held one (split into replaced / unchanged once the differences are known).
CREATE OR REPLACE TEMP TABLE stage_fate AS
WITH held AS (
    SELECT e.ticket_id, max(r.export_time) AS held_time
    FROM stage_existing e JOIN stage_related r USING (source_id)
    GROUP BY e.ticket_id
)
SELECT k.ticket_id,
       CASE WHEN h.ticket_id IS NULL THEN 'added'
            WHEN h.held_time > $export_time THEN 'kept'
            ELSE 'held' END AS fate
FROM (SELECT DISTINCT ticket_id FROM stage_keyed) k
LEFT JOIN held h USING (ticket_id);

-- Grain: one row per staged event to insert: not already held (same fingerprint and
-- occurrence), not dropped by --dedupe, and of a ticket this export does not leave to a newer one.
CREATE OR REPLACE TEMP VIEW stage_new AS
SELECT k.* FROM stage_keyed k
ANTI JOIN stage_existing e ON k.fingerprint = e.fingerprint AND k.occurrence = e.occurrence
WHERE k.keep AND k.ticket_id NOT IN (SELECT ticket_id FROM stage_fate WHERE fate = 'kept');

-- Grain: one row per held event this export replaces: an event of a ticket whose history
-- this export replaces that the export no longer has (edited or gone).
CREATE OR REPLACE TEMP TABLE stage_removed AS
SELECT e.rid, e.ticket_id, e.source_id, e.source_row FROM stage_existing e
SEMI JOIN (SELECT ticket_id FROM stage_fate WHERE fate = 'held') f USING (ticket_id)
ANTI JOIN (SELECT fingerprint, occurrence FROM stage_keyed WHERE keep) k
    ON e.fingerprint = k.fingerprint AND e.occurrence = k.occurrence;

-- A held ticket with nothing added and nothing removed is unchanged; otherwise replaced.
UPDATE stage_fate f SET fate = CASE
    WHEN f.ticket_id IN (SELECT ticket_id FROM stage_new)
      OR f.ticket_id IN (SELECT ticket_id FROM stage_removed) THEN 'replaced'
    ELSE 'unchanged' END
WHERE f.fate = 'held';
