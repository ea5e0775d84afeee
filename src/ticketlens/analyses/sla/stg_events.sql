-- Staging. Grain: one row per event at or before the as-of instant, every text column replaced
-- by its integer code (`_sla_values`), in ticket order and, within a ticket, in time order, so
-- numpy reads each ticket's events as one contiguous, time-ordered run. `pos` is the event's
-- place in that order when the workspace's event_seq numbers each ticket's events 0, 1, ...
-- in time order, as ingest does: sorting on that one integer is far cheaper than on
-- (tix, ts_us, event_seq). The engine checks the result and otherwise sorts by those itself.
-- When the policy names a creation attribute ($created_attribute, e.g. ServiceNow's opened_at),
-- a ticket without a creation event gets one at that recorded instant (event_seq -1): the
-- source's own timestamp, never an invented one.
WITH source AS (
    SELECT ticket_id, event_seq, "timestamp", activity, assigned_to, priority, category, department
    FROM events WHERE "timestamp" <= $as_of
),
has_creation AS (
    SELECT DISTINCT ticket_id FROM source
    WHERE $created_attribute IS NOT NULL AND activity IN (SELECT unnest($created_activities))
),
recorded_creation AS (
    SELECT c.ticket_id, -1 AS event_seq, TRY_CAST(c.value AS TIMESTAMPTZ) AS "timestamp",
           $created_activity AS activity, NULL::VARCHAR AS assigned_to, NULL::VARCHAR AS priority,
           NULL::VARCHAR AS category, NULL::VARCHAR AS department
    FROM case_attributes c
    SEMI JOIN _sla_tickets t USING (ticket_id)
    ANTI JOIN has_creation h USING (ticket_id)
    WHERE $created_attribute IS NOT NULL AND c.name = $created_attribute
      AND TRY_CAST(c.value AS TIMESTAMPTZ) <= $as_of
    QUALIFY row_number() OVER (PARTITION BY c.ticket_id ORDER BY c.source_id DESC) = 1
),
all_events AS (
    SELECT * FROM source UNION ALL SELECT * FROM recorded_creation
),
codes AS (
    SELECT * FROM _sla_values
),
final AS (
    SELECT t.first_event + s.event_seq AS pos,
           t.tix, s.event_seq, epoch_us(s."timestamp") AS ts_us,
           a.code AS act,
           coalesce(p.code, -1) AS prio,
           coalesce(h.code, -1) AS holder,
           coalesce(c.code, -1) AS cat,
           coalesce(d.code, -1) AS dept
    FROM all_events s
    JOIN _sla_tickets t USING (ticket_id)
    JOIN codes a ON a.kind = 'activity' AND a.value = s.activity
    LEFT JOIN codes p ON p.kind = 'priority' AND p.value = s.priority
    LEFT JOIN codes h ON h.kind = 'person' AND h.value = s.assigned_to
    LEFT JOIN codes c ON c.kind = 'category' AND c.value = s.category
    LEFT JOIN codes d ON d.kind = 'department' AND d.value = s.department
)
SELECT * FROM final ORDER BY pos
