-- Grain: one row per earlier source whose tickets this export may replace: the same source
-- name, or the same kind (format and mapping, details.kind). export_time: the newest event
-- timestamp the export held (details.export_time; sources of an older ticketlens: the newest
-- of their events still in the workspace).
CREATE OR REPLACE TEMP TABLE stage_related AS
SELECT s.source_id,
       coalesce(TRY_CAST(s.details->>'export_time' AS TIMESTAMPTZ),
                (SELECT max(e."timestamp") FROM events e WHERE e.source_id = s.source_id))
           AS export_time
FROM sources s
WHERE s.name = $name OR s.details->>'kind' = $kind;
