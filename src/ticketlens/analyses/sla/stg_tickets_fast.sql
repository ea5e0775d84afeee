-- Staging, fast path. Grain: one row per ticket with an event at or before the as-of instant,
-- found by its first event (event_seq 0; the engine checks that every staged event belongs to
-- one of these tickets and that each ticket's events are exactly event_seq 0, 1, ...). `tix`
-- numbers them in ticket_id order, as stg_tickets.sql does, and `id_rank` is the same but equal
-- for equal ids (a ticket with two events numbered 0, which the engine rejects); `first_row`
-- is the row id of that first event, the order in which a scan of the events meets the
-- tickets. Tickets known only from case attributes are appended by stg_attribute_only.sql.
CREATE OR REPLACE TEMP TABLE _sla_tickets AS
WITH source AS (
    SELECT ticket_id, rowid AS first_row
    FROM events WHERE event_seq = 0 AND "timestamp" <= $as_of
),
final AS (
    SELECT ticket_id, true AS has_events, first_row,
           (row_number() OVER by_id - 1)::INTEGER AS tix,
           (rank() OVER by_id - 1)::INTEGER AS id_rank
    FROM source
    WINDOW by_id AS (ORDER BY ticket_id)
)
SELECT * FROM final ORDER BY tix
