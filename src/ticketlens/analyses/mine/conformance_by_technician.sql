-- Mart. Grain: one row per technician: the tickets they held at any event, how many of those
-- fit the reference model, and the conformance rate.
WITH handled AS (
    SELECT DISTINCT ticket_id, resource AS technician
    FROM mine_events
    WHERE resource IS NOT NULL
),
final AS (
    SELECT
        h.technician,
        count(*)                                     AS tickets,
        count(*) FILTER (WHERE r.fitting)            AS fitting,
        count(*) FILTER (WHERE r.fitting) / count(*) AS conformance_rate,
        count(*) FILTER (WHERE r.inserted > 0)       AS with_inserted,
        count(*) FILTER (WHERE r.skipped > 0)        AS with_skipped,
        count(*) FILTER (WHERE r.out_of_order > 0)   AS with_out_of_order
    FROM handled h
    JOIN mine_ticket_traces t USING (ticket_id)
    JOIN mine_conformance_results r USING (trace_id)
    GROUP BY h.technician
)
SELECT * FROM final
ORDER BY conformance_rate, tickets DESC, technician;
