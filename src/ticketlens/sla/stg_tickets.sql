-- Staging. Grain: one row per ticket: every ticket with an event at or before the as-of
-- instant, then every ticket known only from case attributes (a ticket-table row whose
-- instants are all missing has no event at all, but it is a ticket all the same; only
-- ticket-table sources can hold such tickets, so only their attributes are scanned).
-- `tix` is the ticket's dense index (tickets with events first, each part in ticket_id order);
-- every later step keys on it.
CREATE OR REPLACE TEMP TABLE _sla_tickets AS
WITH event_tickets AS (
    SELECT DISTINCT ticket_id FROM events WHERE "timestamp" <= $as_of
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
    SELECT ticket_id, true AS has_events FROM event_tickets
    UNION ALL
    SELECT ticket_id, false FROM attribute_only
),
final AS (
    SELECT ticket_id, has_events,
           (row_number() OVER (ORDER BY has_events DESC, ticket_id) - 1)::INTEGER AS tix
    FROM source
)
SELECT * FROM final ORDER BY tix
