-- Staging. Grain: one row per ticket of the segment and SLA metric: the breach verdict.
-- Built from the metric's columns in sla_facts (the metric's name is the column prefix; the
-- engine substitutes the validated metric name for {metric} before running this template).
SELECT
    k.ticket_id, k.team_key, k.system_key, k.technician_key, k.category_key, k.priority_key,
    '{metric}' AS metric,
    f."{metric}_breached" AS breached,
    f."{metric}_status" IN ('running', 'paused') AS is_open
FROM _kpi_facts k JOIN sla_facts f USING (ticket_id)
WHERE k.has_creation
