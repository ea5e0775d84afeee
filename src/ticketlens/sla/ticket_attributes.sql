-- Mart. Grain: one row per ticket (tix): the case attributes analyses slice by. When several
-- sources carry the same attribute for a ticket, the most recently ingested source wins. The
-- source's own SLA verdict is read as a boolean (true/t/1/yes/y, false/f/0/no/n; else NULL).
WITH tickets AS (
    SELECT * FROM _sla_tickets
),
attributes AS (
    SELECT ticket_id, name, value, source_id FROM case_attributes
    WHERE name IN ($team, $system, $channel, $csat, $made_sla)
),
pivoted AS (
    SELECT
        ticket_id,
        arg_max(value, source_id) FILTER (WHERE name = $team) AS team,
        arg_max(value, source_id) FILTER (WHERE name = $system) AS system,
        arg_max(value, source_id) FILTER (WHERE name = $channel) AS channel,
        TRY_CAST(arg_max(value, source_id) FILTER (WHERE name = $csat) AS DOUBLE) AS csat,
        lower(trim(arg_max(value, source_id) FILTER (WHERE name = $made_sla))) AS made_sla
    FROM attributes
    GROUP BY ticket_id
),
final AS (
    SELECT
        t.tix,
        t.ticket_id,
        p.team,
        p.system,
        p.channel,
        p.csat,
        CASE WHEN p.made_sla IN ('true', 't', '1', 'yes', 'y') THEN true
             WHEN p.made_sla IN ('false', 'f', '0', 'no', 'n') THEN false END AS source_made_sla
    FROM tickets t LEFT JOIN pivoted p USING (ticket_id)
)
SELECT * FROM final ORDER BY tix
