-- Mart. Grain: one row per ticket (tix): the case attributes analyses slice by. When several
-- sources carry the same attribute for a ticket, the most recently ingested source wins.
WITH tickets AS (
    SELECT * FROM _sla_tickets
),
attributes AS (
    SELECT ticket_id, name, value, source_id FROM case_attributes
    WHERE name IN ($team, $system, $channel, $csat, $made_sla)
),
final AS (
    SELECT
        t.tix,
        t.ticket_id,
        arg_max(a.value, a.source_id) FILTER (WHERE a.name = $team) AS team,
        arg_max(a.value, a.source_id) FILTER (WHERE a.name = $system) AS system,
        arg_max(a.value, a.source_id) FILTER (WHERE a.name = $channel) AS channel,
        TRY_CAST(arg_max(a.value, a.source_id) FILTER (WHERE a.name = $csat) AS DOUBLE) AS csat,
        arg_max(a.value, a.source_id) FILTER (WHERE a.name = $made_sla) AS source_made_sla_text
    FROM tickets t LEFT JOIN attributes a USING (ticket_id)
    GROUP BY t.tix, t.ticket_id
)
SELECT * FROM final ORDER BY tix
