-- Mart. Grain: one row per calendar day (in the policy's time zone) from the first creation
-- to the as-of day: tickets created, closed and reopened that day, tickets open at the end of
-- the day, and 7-day rolling averages. Only tickets with a creation event are counted; a ticket
-- is open from its creation to a closure, and again from a reopen after a closure.
WITH tickets AS (
    SELECT ticket_id, created_at FROM _kpi_facts WHERE has_creation
),
roles AS (
    SELECT activity, lifecycle_kind FROM _kpi_roles
),
lifecycle AS (
    SELECT e.ticket_id, e.event_seq, e."timestamp" AS ts, r.lifecycle_kind AS kind
    FROM events e
    SEMI JOIN tickets t USING (ticket_id)
    JOIN roles r USING (activity)
    WHERE r.lifecycle_kind IN ('closed', 'reopened') AND e."timestamp" <= $as_of
),
ordered AS (
    SELECT *, lag(kind) OVER (PARTITION BY ticket_id ORDER BY event_seq) AS previous_kind
    FROM lifecycle
),
changes AS (
    SELECT ts, 'closed' AS kind, -1 AS delta FROM ordered
    WHERE kind = 'closed' AND previous_kind IS DISTINCT FROM 'closed'
    UNION ALL
    SELECT ts, 'reopened', 1 FROM ordered WHERE kind = 'reopened' AND previous_kind = 'closed'
    UNION ALL
    SELECT created_at, 'created', 1 FROM tickets
),
daily AS (
    SELECT timezone($tz, ts)::DATE AS day,
           count(*) FILTER (WHERE kind = 'created') AS created,
           count(*) FILTER (WHERE kind = 'closed') AS closed,
           count(*) FILTER (WHERE kind = 'reopened') AS reopened,
           sum(delta) AS net
    FROM changes
    GROUP BY day
),
days AS (
    SELECT unnest(generate_series(min(day), timezone($tz, $as_of)::DATE, INTERVAL 1 DAY))::DATE
           AS day
    FROM daily
),
filled AS (
    SELECT d.day, coalesce(created, 0) AS created, coalesce(closed, 0) AS closed,
           coalesce(reopened, 0) AS reopened,
           sum(coalesce(net, 0)) OVER (ORDER BY d.day)::BIGINT AS open_end_of_day
    FROM days d LEFT JOIN daily USING (day)
),
final AS (
    SELECT *,
           avg(created) OVER w AS created_7d_avg,
           avg(closed) OVER w AS closed_7d_avg,
           avg(open_end_of_day) OVER w AS open_7d_avg
    FROM filled
    WINDOW w AS (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)
)
SELECT * FROM final ORDER BY day
