-- Mart. Grain: one row per technician (a person seen holding a ticket of the segment):
-- workload (tickets held, open now) and performance (resolutions and the share of them later
-- reopened, MTTR of the tickets they resolved last, escalations they raised per ticket held,
-- resolution-SLA breaches among the tickets attributed to them: resolved by them, else held
-- by them now). Reads sla_ticket_technicians (one
-- row per ticket and person who held it) and sla_technicians (one row per person: tier).
WITH held AS (
    SELECT t.* FROM sla_ticket_technicians t SEMI JOIN _kpi_facts f USING (ticket_id)
),
per_technician AS (
    SELECT technician, count(*) AS tickets_held, sum(resolutions) AS resolutions,
           sum(resolutions_reopened) AS resolutions_reopened,
           sum(escalations_raised) AS escalations_raised
    FROM held GROUP BY technician
),
resolved_tickets AS (
    SELECT resolver AS technician, count(*) AS tickets_resolved,
           sum(resolution_us) / count(resolution_us) / 3.6e9 AS mttr_hours,
           median(resolution_hours) AS median_resolution_hours
    FROM _kpi_facts WHERE resolver IS NOT NULL GROUP BY 1
),
breaches AS (
    SELECT technician_key AS technician, count(breached) AS with_verdict,
           count(*) FILTER (WHERE breached) AS breached
    FROM _kpi_verdicts WHERE metric = $metric GROUP BY 1
),
open_now AS (
    SELECT final_assignee AS technician, count(*) AS open_now
    FROM _kpi_facts WHERE status = 'open' AND final_assignee IS NOT NULL GROUP BY 1
),
final AS (
    SELECT p.technician, t.tier, p.tickets_held, coalesce(o.open_now, 0) AS open_now,
           p.resolutions, coalesce(rt.tickets_resolved, 0) AS tickets_resolved,
           rt.mttr_hours, rt.median_resolution_hours, p.resolutions_reopened,
           p.resolutions_reopened / nullif(p.resolutions, 0) AS reopen_rate,
           p.escalations_raised, p.escalations_raised / p.tickets_held AS escalation_rate,
           coalesce(b.with_verdict, 0) AS resolution_with_verdict,
           coalesce(b.breached, 0) AS resolution_breached,
           b.breached / nullif(b.with_verdict, 0) AS resolution_breach_rate
    FROM per_technician p
    LEFT JOIN sla_technicians t USING (technician)
    LEFT JOIN open_now o USING (technician)
    LEFT JOIN resolved_tickets rt USING (technician)
    LEFT JOIN breaches b USING (technician)
)
SELECT * FROM final ORDER BY tickets_held DESC, technician
