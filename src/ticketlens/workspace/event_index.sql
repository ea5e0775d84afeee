-- Derived tables: the events as integer codes in ticket order, the one way analyses that read
-- every event stage them (``workspace/events.py`` reads them with an as-of instant). Rebuilt
-- from the base tables by every ingest that loads events, inside its transaction, and by a
-- reader that finds them stale; meta keys `event_index_version`, `event_index_events`,
-- `event_index_attributes` and `event_index_last_us` record what they were built from (event
-- and case-attribute counts, last instant), so a reader can tell they are current.

-- Grain: one row per ticket: every ticket with events, then every ticket known only from case
-- attributes (a ticket-table row whose instants are all missing has no event, but it is a
-- ticket all the same; only ticket-table sources hold such tickets), each part in ticket_id
-- order; tix: its dense index in that order.
CREATE OR REPLACE TABLE ticket_index AS
WITH event_tickets AS (
    SELECT DISTINCT ticket_id FROM events
),
attribute_only AS (
    SELECT DISTINCT ticket_id FROM case_attributes
    SEMI JOIN (SELECT source_id FROM sources WHERE format = 'ticket-table') USING (source_id)
    ANTI JOIN event_tickets USING (ticket_id)
),
all_tickets AS (
    SELECT ticket_id, true AS has_events FROM event_tickets
    UNION ALL
    SELECT ticket_id, false FROM attribute_only
)
SELECT ticket_id,
       (row_number() OVER (ORDER BY has_events DESC, ticket_id) - 1)::INTEGER AS tix
FROM all_tickets
ORDER BY tix;

-- Grain: one row per distinct value of a text column of the events (kind: activity, priority,
-- person = assigned_to, category, department); code: its dense index per kind in value order.
CREATE OR REPLACE TABLE event_values AS
WITH distinct_values AS (
    SELECT list(DISTINCT activity) AS activity,
           list(DISTINCT priority) FILTER (WHERE priority IS NOT NULL) AS priority,
           list(DISTINCT assigned_to) FILTER (WHERE assigned_to IS NOT NULL) AS person,
           list(DISTINCT category) FILTER (WHERE category IS NOT NULL) AS category,
           list(DISTINCT department) FILTER (WHERE department IS NOT NULL) AS department
    FROM events
),
all_values AS (
    SELECT 'activity' AS kind, unnest(activity) AS value FROM distinct_values
    UNION ALL SELECT 'priority', unnest(priority) FROM distinct_values
    UNION ALL SELECT 'person', unnest(person) FROM distinct_values
    UNION ALL SELECT 'category', unnest(category) FROM distinct_values
    UNION ALL SELECT 'department', unnest(department) FROM distinct_values
)
SELECT kind, value, (row_number() OVER (PARTITION BY kind ORDER BY value) - 1)::INTEGER AS code
FROM all_values
ORDER BY kind, code;

-- Grain: one row per event, in (tix, event_seq) order; every text column as its event_values
-- code (-1: NULL).
CREATE OR REPLACE TABLE event_codes AS
SELECT t.tix, e.event_seq, epoch_us(e."timestamp") AS ts_us,
       a.code AS act,
       coalesce(p.code, -1) AS prio,
       coalesce(h.code, -1) AS holder,
       coalesce(c.code, -1) AS cat,
       coalesce(d.code, -1) AS dept
FROM events e
JOIN ticket_index t USING (ticket_id)
JOIN event_values a ON a.kind = 'activity' AND a.value = e.activity
LEFT JOIN event_values p ON p.kind = 'priority' AND p.value = e.priority
LEFT JOIN event_values h ON h.kind = 'person' AND h.value = e.assigned_to
LEFT JOIN event_values c ON c.kind = 'category' AND c.value = e.category
LEFT JOIN event_values d ON d.kind = 'department' AND d.value = e.department
ORDER BY t.tix, e.event_seq;

-- Grain: one row per ticket_index ticket that a source gives one of the case attributes the
-- SLA facts carry (team, system, channel, csat, the source's own verdict), as text: where
-- several sources give one, the most recently ingested source's (latest_case_attributes).
CREATE OR REPLACE TABLE ticket_case_values AS
SELECT t.tix,
       any_value(a.value) FILTER (WHERE a.name = $team) AS team,
       any_value(a.value) FILTER (WHERE a.name = $system) AS system,
       any_value(a.value) FILTER (WHERE a.name = $channel) AS channel,
       any_value(a.value) FILTER (WHERE a.name = $csat) AS csat,
       any_value(a.value) FILTER (WHERE a.name = $made_sla) AS made_sla
FROM latest_case_attributes a
JOIN ticket_index t USING (ticket_id)
WHERE a.name IN ($team, $system, $channel, $csat, $made_sla)
GROUP BY t.tix
ORDER BY t.tix;

DELETE FROM meta WHERE key IN ('event_index_version', 'event_index_events',
                               'event_index_attributes', 'event_index_last_us');
INSERT INTO meta
SELECT 'event_index_version', $version
UNION ALL
SELECT 'event_index_events', count(*)::VARCHAR FROM events
UNION ALL
SELECT 'event_index_attributes', count(*)::VARCHAR FROM case_attributes
UNION ALL
SELECT 'event_index_last_us', coalesce(max(ts_us), 0)::VARCHAR FROM event_codes;
