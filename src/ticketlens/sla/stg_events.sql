-- Staging. Grain: one row per event at or before the as-of instant, stored in ticket order and,
-- within a ticket, in time order (then event_seq), so numpy reads each ticket's events as one
-- contiguous, time-ordered run.
-- When the policy names a creation attribute ($created_attribute, e.g. ServiceNow's opened_at),
-- a ticket without a creation event gets one at that recorded instant (event_seq -1); the
-- source's own timestamp, never an invented one.
CREATE OR REPLACE TEMP TABLE _sla_events AS
WITH source AS (
    SELECT ticket_id, event_seq, "timestamp", activity, assigned_to, priority, category, department
    FROM events WHERE "timestamp" <= $as_of
),
has_creation AS (
    SELECT DISTINCT ticket_id FROM source WHERE activity IN (SELECT unnest($created_activities))
),
recorded_creation AS (
    SELECT c.ticket_id, -1 AS event_seq, TRY_CAST(c.value AS TIMESTAMPTZ) AS "timestamp",
           $created_activity AS activity, NULL::VARCHAR AS assigned_to, NULL::VARCHAR AS priority,
           NULL::VARCHAR AS category, NULL::VARCHAR AS department
    FROM case_attributes c
    SEMI JOIN _sla_tickets t USING (ticket_id)
    ANTI JOIN has_creation h USING (ticket_id)
    WHERE c.name = $created_attribute AND TRY_CAST(c.value AS TIMESTAMPTZ) <= $as_of
    QUALIFY row_number() OVER (PARTITION BY c.ticket_id ORDER BY c.source_id DESC) = 1
),
all_events AS (
    SELECT * FROM source UNION ALL SELECT * FROM recorded_creation
),
activity_codes AS (SELECT value AS activity, code FROM _sla_values WHERE kind = 'activity'),
priority_codes AS (SELECT value AS priority, code FROM _sla_values WHERE kind = 'priority'),
person_codes AS (SELECT value AS assigned_to, code FROM _sla_values WHERE kind = 'person'),
final AS (
    SELECT t.tix, s.event_seq, epoch_us(s."timestamp") AS ts_us,
           a.code::SMALLINT AS act, coalesce(p.code, -1)::INTEGER AS prio,
           coalesce(h.code, -1)::INTEGER AS holder,
           s.activity, s.assigned_to, s.priority, s.category, s.department
    FROM all_events s
    JOIN _sla_tickets t USING (ticket_id)
    JOIN activity_codes a USING (activity)
    LEFT JOIN priority_codes p USING (priority)
    LEFT JOIN person_codes h USING (assigned_to)
)
SELECT * FROM final ORDER BY tix, ts_us, event_seq
