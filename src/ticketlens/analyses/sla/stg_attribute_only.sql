-- Staging, fast path. Grain: one row per ticket known only from case attributes (as in
-- stg_tickets.sql: a ticket-table source's ticket without any event), appended to
-- `_sla_tickets` after the tickets with events, in ticket_id order. Run only when the workspace
-- has a ticket-table source.
INSERT INTO _sla_tickets (ticket_id, has_events, tix)
WITH ticket_tables AS (
    SELECT source_id FROM sources WHERE format = 'ticket-table'
),
attribute_only AS (
    SELECT DISTINCT ticket_id FROM case_attributes
    SEMI JOIN ticket_tables USING (source_id)
    ANTI JOIN (SELECT DISTINCT ticket_id FROM events) e USING (ticket_id)
),
final AS (
    SELECT ticket_id, false AS has_events,
           ((SELECT count(*) FROM _sla_tickets) + row_number() OVER (ORDER BY ticket_id) - 1
           )::INTEGER AS tix
    FROM attribute_only
)
SELECT * FROM final ORDER BY tix
