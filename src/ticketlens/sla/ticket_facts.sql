-- Mart. Grain: one row per ticket (tix): the facts that need no event order beyond first/last.
-- Reads the staged events and `_sla_roles` (one row per activity: what it means to a ticket).
WITH events AS (
    SELECT * FROM _sla_events
),
roles AS (
    SELECT * FROM _sla_roles
),
joined AS (
    SELECT e.*, r.* EXCLUDE (activity)
    FROM events e LEFT JOIN roles r USING (activity)
),
final AS (
    SELECT
        tix,
        count(*) AS events,
        max(ts_us) AS last_event_us,
        min(ts_us) FILTER (WHERE is_created) AS created_us,
        min(ts_us) FILTER (WHERE is_first_response) AS first_response_us,
        min(ts_us) FILTER (WHERE is_resolved) AS first_resolved_us,
        max(ts_us) FILTER (WHERE is_resolved) AS resolved_us,
        max(ts_us) FILTER (WHERE is_closed) AS closed_us,
        arg_max(lifecycle_kind, event_seq) FILTER (WHERE lifecycle_kind IS NOT NULL) AS last_kind,
        count(*) FILTER (WHERE is_assigned) AS assignments,
        count(*) FILTER (WHERE is_reassigned) AS reassignments,
        count(*) FILTER (WHERE escalation_tier IS NOT NULL) AS escalations,
        count(*) FILTER (WHERE is_de_escalated) AS de_escalations,
        count(*) FILTER (WHERE is_priority_changed) AS priority_change_events,
        count(*) FILTER (WHERE is_hold) AS holds,
        arg_max(priority, event_seq) FILTER (WHERE priority IS NOT NULL) AS priority,
        arg_min(priority, event_seq) FILTER (WHERE priority IS NOT NULL) AS initial_priority,
        arg_max(category, event_seq) FILTER (WHERE category IS NOT NULL) AS category,
        arg_max(department, event_seq) FILTER (WHERE department IS NOT NULL) AS department,
        arg_min(assigned_to, event_seq) FILTER (WHERE assigned_to IS NOT NULL) AS first_assignee,
        arg_max(assigned_to, event_seq) FILTER (WHERE assigned_to IS NOT NULL) AS final_assignee,
        count(DISTINCT assigned_to) AS assignees
    FROM joined
    GROUP BY tix
)
SELECT * FROM final ORDER BY tix
