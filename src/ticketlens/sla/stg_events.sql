-- Staging. Grain: one row per event at or before the as-of instant, stored in (tix, event_seq)
-- order so numpy can read each ticket's events as one contiguous, time-ordered run.
CREATE OR REPLACE TEMP TABLE _sla_events AS
WITH source AS (
    SELECT ticket_id, event_seq, "timestamp", activity, assigned_to, priority, category, department
    FROM events WHERE "timestamp" <= $as_of
),
activity_codes AS (SELECT value AS activity, code FROM _sla_values WHERE kind = 'activity'),
priority_codes AS (SELECT value AS priority, code FROM _sla_values WHERE kind = 'priority'),
person_codes AS (SELECT value AS assigned_to, code FROM _sla_values WHERE kind = 'person'),
final AS (
    SELECT t.tix, s.event_seq, epoch_us(s."timestamp") AS ts_us,
           a.code::SMALLINT AS act, coalesce(p.code, -1)::INTEGER AS prio,
           coalesce(h.code, -1)::INTEGER AS holder,
           s.activity, s.assigned_to, s.priority, s.category, s.department
    FROM source s
    JOIN _sla_tickets t USING (ticket_id)
    JOIN activity_codes a USING (activity)
    LEFT JOIN priority_codes p USING (priority)
    LEFT JOIN person_codes h USING (assigned_to)
)
SELECT * FROM final ORDER BY tix, event_seq
