-- Grain: one row per technician name: the roster row in force. A roster file the user passed
-- wins, then a source's manifest (the most recently ingested source first), then the tier the
-- log's escalations show (origin 'inferred from escalations'). Rows before schema 2 have no
-- origin: they came from manifests.
SELECT name, tier, team, skills, coalesce(origin, 'manifest') AS origin
FROM technicians
QUALIFY row_number() OVER (
    PARTITION BY name
    ORDER BY CASE WHEN starts_with(coalesce(origin, ''), 'roster file') THEN 0
                  WHEN origin = $inferred THEN 2
                  ELSE 1 END,
             source_id DESC NULLS LAST
) = 1
ORDER BY name
