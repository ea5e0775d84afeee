-- Mart. Grain: one row per team (case attribute `team`; '(no team)' when missing): tickets,
-- fitting tickets, conformance rate, and tickets with each kind of deviation.
WITH teams AS (
    SELECT ticket_id, value AS team
    FROM latest_case_attributes  -- the most recently ingested source's team (views.sql)
    WHERE name = $team_attribute
),
tickets AS (
    SELECT coalesce(m.team, '(no team)') AS team, r.*
    FROM mine_ticket_traces t
    JOIN mine_conformance_results r USING (trace_id)
    LEFT JOIN teams m USING (ticket_id)
),
final AS (
    SELECT
        team,
        count(*)                                   AS tickets,
        count(*) FILTER (WHERE fitting)            AS fitting,
        count(*) FILTER (WHERE fitting) / count(*) AS conformance_rate,
        count(*) FILTER (WHERE inserted > 0)       AS with_inserted,
        count(*) FILTER (WHERE skipped > 0)        AS with_skipped,
        count(*) FILTER (WHERE out_of_order > 0)   AS with_out_of_order
    FROM tickets
    GROUP BY team
)
SELECT * FROM final
ORDER BY conformance_rate, tickets DESC, team;
