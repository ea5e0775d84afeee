-- Staging. Grain: one row per ticket with at least one event at or before the as-of instant.
-- `tix` is the ticket's dense index in ticket_id order; every later step keys on it.
CREATE OR REPLACE TEMP TABLE _sla_tickets AS
WITH source AS (
    SELECT DISTINCT ticket_id FROM events WHERE "timestamp" <= $as_of
),
final AS (
    SELECT ticket_id, (row_number() OVER (ORDER BY ticket_id) - 1)::INTEGER AS tix
    FROM source
)
SELECT * FROM final ORDER BY tix
