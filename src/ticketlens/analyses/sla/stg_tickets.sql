-- Staging. Grain: one row per ticket: every ticket with an event at or before the as-of
-- instant, then every ticket known only from case attributes (a ticket-table row whose
-- instants are all missing has no event at all, but it is a ticket all the same; only
-- ticket-table sources can hold such tickets, so only their attributes are scanned).
-- `tix` is the ticket's dense index (tickets with events first, each part in ticket_id order);
-- every later step keys on it. `events` counts the ticket's events and `first_event` is where
-- they start in the staged event order (tickets in tix order, one contiguous run each).
CREATE OR REPLACE TEMP TABLE _sla_tickets AS
WITH event_tickets AS (
    SELECT ticket_id, count(*) AS events FROM events WHERE "timestamp" <= $as_of
    GROUP BY ticket_id
),
ticket_tables AS (
    SELECT source_id FROM sources WHERE format = 'ticket-table'
),
attribute_only AS (
    SELECT DISTINCT ticket_id FROM case_attributes
    SEMI JOIN ticket_tables USING (source_id)
    ANTI JOIN (SELECT DISTINCT ticket_id FROM events) e USING (ticket_id)
),
source AS (
    SELECT ticket_id, true AS has_events, events FROM event_tickets
    UNION ALL
    SELECT ticket_id, false, 0 FROM attribute_only
),
final AS (
    SELECT ticket_id, has_events, events,
           (row_number() OVER w - 1)::INTEGER AS tix,
           (sum(events) OVER w - events)::BIGINT AS first_event
    FROM source
    WINDOW w AS (ORDER BY has_events DESC, ticket_id ROWS UNBOUNDED PRECEDING)
)
SELECT * FROM final ORDER BY tix
