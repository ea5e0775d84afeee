-- Mart. Grain: one row per ticket: whether it fits the reference model, its alignment cost and
-- deviations (from mine_conformance_results, one row per trace), whether it reached an end
-- activity, and its team (case attribute `team`, NULL when the source has none).
WITH teams AS (
    SELECT ticket_id, value AS team
    FROM latest_case_attributes  -- the most recently ingested source's team (views.sql)
    WHERE name = $team_attribute
),
final AS (
    SELECT
        t.ticket_id,
        m.team,
        r.fitting,
        r.cost,
        r.inserted,
        r.skipped,
        r.out_of_order,
        r.complete,
        r.deviations
    FROM mine_ticket_traces t
    JOIN mine_conformance_results r USING (trace_id)
    LEFT JOIN teams m USING (ticket_id)
)
SELECT * FROM final
ORDER BY ticket_id;
