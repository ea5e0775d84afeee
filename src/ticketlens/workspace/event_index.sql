-- Derived tables: the events as integer codes in ticket order, for analyses that read every
-- event (the SLA engine stages from them instead of joining text per event). Rebuilt from the
-- base tables by every ingest that loads events, inside its transaction; meta keys
-- `event_index_events` and `event_index_last_us` record the event count and the last instant
-- they were built from, so a reader can tell they are current.

-- Grain: one row per ticket with events, in ticket_id order; tix: its dense index.
CREATE OR REPLACE TABLE ticket_index AS
SELECT ticket_id, (row_number() OVER (ORDER BY ticket_id) - 1)::INTEGER AS tix
FROM (SELECT DISTINCT ticket_id FROM events)
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
-- several sources give one, the most recently ingested source's value.
CREATE OR REPLACE TABLE ticket_case_values AS
SELECT t.tix,
       arg_max(a.value, a.source_id) FILTER (WHERE a.name = $team) AS team,
       arg_max(a.value, a.source_id) FILTER (WHERE a.name = $system) AS system,
       arg_max(a.value, a.source_id) FILTER (WHERE a.name = $channel) AS channel,
       arg_max(a.value, a.source_id) FILTER (WHERE a.name = $csat) AS csat,
       arg_max(a.value, a.source_id) FILTER (WHERE a.name = $made_sla) AS made_sla
FROM case_attributes a
JOIN ticket_index t USING (ticket_id)
WHERE a.name IN ($team, $system, $channel, $csat, $made_sla)
GROUP BY t.tix
ORDER BY t.tix;

DELETE FROM meta WHERE key IN ('event_index_events', 'event_index_last_us');
INSERT INTO meta
SELECT 'event_index_events', count(*)::VARCHAR FROM events
UNION ALL
SELECT 'event_index_last_us', coalesce(max(ts_us), 0)::VARCHAR FROM event_codes;
