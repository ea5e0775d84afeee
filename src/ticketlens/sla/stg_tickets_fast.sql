-- Staging, fast path. Grain: one row per ticket with an event at or before the as-of instant,
-- found by its first event (event_seq 0; the engine checks that every staged event belongs to
-- one of these tickets and that each ticket's events are exactly event_seq 0, 1, ...). `tix`
-- numbers them in ticket_id order, as stg_tickets.sql does. Tickets known only from case
-- attributes are appended by stg_attribute_only.sql.
CREATE OR REPLACE TEMP TABLE _sla_tickets AS
WITH source AS (
    SELECT ticket_id FROM events WHERE event_seq = 0 AND "timestamp" <= $as_of
),
final AS (
    SELECT ticket_id, true AS has_events,
           (row_number() OVER (ORDER BY ticket_id) - 1)::INTEGER AS tix
    FROM source
)
SELECT * FROM final ORDER BY tix
