-- Mart. Grain: one row per technician (a person seen holding a ticket of the segment):
-- workload (tickets held, open now) and performance (resolutions, MTTR of the tickets they
-- resolved last, share of their resolutions later reopened, escalations they raised per
-- ticket held, resolution-SLA breaches among the tickets they resolved).
WITH segment_events AS (
    SELECT e.ticket_id, e.event_seq, e.assigned_to,
           r.escalation_tier IS NOT NULL AS is_escalation,
           coalesce(r.is_resolved, false) AS is_resolved,
           coalesce(r.is_reopened, false) AS is_reopened
    FROM events e
    SEMI JOIN _kpi_facts f USING (ticket_id)
    LEFT JOIN _kpi_roles r USING (activity)
    WHERE e."timestamp" <= $as_of
),
with_previous AS (
    SELECT *,
           last_value(assigned_to IGNORE NULLS) OVER (
               PARTITION BY ticket_id ORDER BY event_seq
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_holder,
           max(CASE WHEN is_reopened THEN event_seq END) OVER (PARTITION BY ticket_id)
               AS last_reopen_seq
    FROM segment_events
),
held AS (
    SELECT assigned_to AS technician, count(DISTINCT ticket_id) AS tickets_held
    FROM segment_events WHERE assigned_to IS NOT NULL GROUP BY 1
),
resolutions AS (
    SELECT coalesce(assigned_to, previous_holder) AS technician,
           count(*) AS resolutions,
           count(*) FILTER (WHERE last_reopen_seq > event_seq) AS resolutions_reopened
    FROM with_previous WHERE is_resolved GROUP BY 1
),
escalations AS (
    SELECT previous_holder AS technician, count(*) AS escalations_raised
    FROM with_previous WHERE is_escalation AND previous_holder IS NOT NULL GROUP BY 1
),
resolved_tickets AS (
    SELECT resolver AS technician, count(*) AS tickets_resolved,
           avg(resolution_hours) AS mttr_hours,
           median(resolution_hours) AS median_resolution_hours
    FROM _kpi_facts WHERE resolver IS NOT NULL GROUP BY 1
),
breaches AS (
    SELECT f.resolver AS technician, count(v.breached) AS with_verdict,
           count(*) FILTER (WHERE v.breached) AS breached
    FROM _kpi_facts f JOIN _kpi_verdicts v USING (ticket_id)
    WHERE f.resolver IS NOT NULL AND v.metric = $metric
    GROUP BY 1
),
open_now AS (
    SELECT final_assignee AS technician, count(*) AS open_now
    FROM _kpi_facts WHERE status = 'open' AND final_assignee IS NOT NULL GROUP BY 1
),
tiers AS (
    SELECT technician, tier FROM sla_technicians
),
final AS (
    SELECT h.technician, t.tier, h.tickets_held, coalesce(o.open_now, 0) AS open_now,
           coalesce(r.resolutions, 0) AS resolutions,
           coalesce(rt.tickets_resolved, 0) AS tickets_resolved,
           rt.mttr_hours, rt.median_resolution_hours,
           coalesce(r.resolutions_reopened, 0) AS resolutions_reopened,
           r.resolutions_reopened / nullif(r.resolutions, 0) AS reopen_rate,
           coalesce(x.escalations_raised, 0) AS escalations_raised,
           coalesce(x.escalations_raised, 0) / h.tickets_held AS escalation_rate,
           coalesce(b.with_verdict, 0) AS resolution_with_verdict,
           coalesce(b.breached, 0) AS resolution_breached,
           b.breached / nullif(b.with_verdict, 0) AS resolution_breach_rate
    FROM held h
    LEFT JOIN tiers t USING (technician)
    LEFT JOIN open_now o USING (technician)
    LEFT JOIN resolutions r USING (technician)
    LEFT JOIN resolved_tickets rt USING (technician)
    LEFT JOIN escalations x USING (technician)
    LEFT JOIN breaches b USING (technician)
)
SELECT * FROM final ORDER BY tickets_held DESC, technician
