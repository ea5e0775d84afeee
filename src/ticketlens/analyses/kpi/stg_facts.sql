-- Staging. Grain: one row per ticket of the segment: the SLA facts KPIs read, plus the keys
-- they group by. team: the source's team attribute, else the tier of the assignee (who
-- resolved it, else who holds it); technician: who resolved it, else who holds it now.
-- tables.py fills in each metric's breached and status columns (validated metric names) and
-- the segment join (`_kpi_segment`; none when the segment is every ticket).
CREATE OR REPLACE TEMP TABLE _kpi_facts AS
WITH facts AS (
    SELECT * FROM sla_facts
),
segment AS (
    SELECT ticket_id FROM _kpi_segment
),
final AS (
    SELECT
        f.ticket_id, f.has_creation, f.status, f.created_at, f.first_response_at,
        f.first_resolved_at, f.resolved_at, f.reopens, f.escalations, f.fcr, f.csat,
        f.resolver, f.final_assignee,{verdicts}
        coalesce(f.team, f.resolving_tier, f.final_tier, '(unknown)') AS team_key,
        coalesce(f.system, '(unknown)') AS system_key,
        coalesce(f.resolver, f.final_assignee, '(unassigned)') AS technician_key,
        coalesce(f.category, '(unknown)') AS category_key,
        coalesce(f.priority, '(unknown)') AS priority_key,
        coalesce(f.channel, '(unknown)') AS channel_key,
        CASE WHEN f.has_creation AND f.resolved_at IS NOT NULL
             THEN epoch(f.resolved_at - f.created_at) / 3600 END AS resolution_hours,
        CASE WHEN f.has_creation AND f.first_response_at IS NOT NULL
             THEN epoch(f.first_response_at - f.created_at) / 60 END AS first_response_minutes,
        -- Whole microseconds: means are taken as exact integer sums / counts, so parallel
        -- aggregation cannot change their last bit between runs (byte-identical outputs).
        CASE WHEN f.has_creation AND f.resolved_at IS NOT NULL
             THEN epoch_us(f.resolved_at) - epoch_us(f.created_at) END AS resolution_us,
        CASE WHEN f.has_creation AND f.first_response_at IS NOT NULL
             THEN epoch_us(f.first_response_at) - epoch_us(f.created_at) END AS first_response_us
    FROM facts f {segment}
)
SELECT * FROM final
