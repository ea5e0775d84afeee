-- Grain: one row per ticket of the `tickets` relation, in its order (ticket_row).
-- Inputs: `events` (the generated event log of these tickets), `tickets` (the tickets table
-- plus ticket_row), parameter $as_of (the window's end: the clock of an unfinished ticket).
-- Preset policy: Critical 4 h, High 8 h, Medium 24 h, Low 72 h of wall-clock time, measured
-- from Ticket Created, no pauses. The clock stops at the ticket's last Ticket Resolved (when
-- the ticket is resolved or closed), else at its closure (closed without a resolution), else
-- it is still running at $as_of.
WITH marks AS (
    SELECT
        ticket_id,
        min("timestamp") FILTER (WHERE activity = 'Ticket Created')  AS created,
        min("timestamp") FILTER (WHERE activity = 'Ticket Assigned') AS first_assigned,
        max("timestamp") FILTER (WHERE activity = 'Ticket Resolved') AS last_resolved
    FROM events
    GROUP BY ticket_id
),
clock AS (
    SELECT
        t.ticket_row,
        t.ticket_id,
        CASE t.priority WHEN 'Critical' THEN 4 WHEN 'High' THEN 8 WHEN 'Medium' THEN 24
                        WHEN 'Low' THEN 72 END                                  AS sla_limit_hours,
        m.created,
        m.first_assigned,
        CASE WHEN t.status IN ('Resolved', 'Closed') THEN m.last_resolved END  AS resolved_at,
        t.closed_at,
        t.priority
    FROM tickets AS t
    LEFT JOIN marks AS m USING (ticket_id)
),
stopped AS (
    SELECT *, coalesce(resolved_at, closed_at, $as_of) AS clock_end FROM clock
)
SELECT
    ticket_id,
    sla_limit_hours,
    round((epoch(resolved_at) - epoch(created)) / 3600.0, 2)        AS resolution_hours,
    round((epoch(first_assigned) - epoch(created)) / 60.0, 1)       AS first_response_minutes,
    (epoch(clock_end) - epoch(created)) > sla_limit_hours * 3600     AS sla_breached,
    CASE WHEN priority = 'Critical'
         THEN CAST(round((epoch(clock_end) - epoch(created)) / 60.0) AS BIGINT)
         ELSE 0 END                                                  AS uptime_impact_minutes
FROM stopped
ORDER BY ticket_row
