-- Staging. Grain: one row per ticket of the segment and SLA metric: the breach verdict.
-- Built from the metric's columns in sla_facts (the metric's name is the column prefix; the
-- engine substitutes the validated metric name into this template before running it).
SELECT
    ticket_id, team_key, system_key, technician_key, category_key, priority_key,
    '{metric}' AS metric,
    "{metric}_breached" AS breached,
    "{metric}_status" IN ('running', 'paused') AS is_open
FROM _kpi_facts
WHERE has_creation
