-- Staging. Grain: one row per case attribute of a staged ticket that the facts carry (team,
-- system, channel, csat, the source's own SLA verdict), from every source that has it. The
-- engine keeps, per ticket and attribute, the row of the most recently ingested source. The
-- value is typed here, row by row: text as it is, csat as a number (NULL when not one), the
-- verdict as a boolean (true/t/1/yes/y, false/f/0/no/n; else NULL).
WITH tickets AS (
    SELECT ticket_id, tix FROM _sla_tickets
),
attributes AS (
    SELECT ticket_id, name, value, source_id FROM case_attributes
    WHERE name IN ($team, $system, $channel, $csat, $made_sla)
),
final AS (
    SELECT
        t.tix,
        CASE a.name WHEN $team THEN 0 WHEN $system THEN 1 WHEN $channel THEN 2 WHEN $csat THEN 3
                    ELSE 4 END::TINYINT AS attribute,  -- the position of the name above
        a.source_id,
        CASE WHEN a.name IN ($team, $system, $channel) THEN a.value END AS text_value,
        CASE WHEN a.name = $csat THEN TRY_CAST(a.value AS DOUBLE) END AS number,
        CASE WHEN a.name = $made_sla THEN
            CASE WHEN lower(trim(a.value)) IN ('true', 't', '1', 'yes', 'y') THEN true
                 WHEN lower(trim(a.value)) IN ('false', 'f', '0', 'no', 'n') THEN false END
        END AS verdict
    FROM attributes a JOIN tickets t USING (ticket_id)
)
SELECT * FROM final
