-- Staging. Grain: one row per key in `_sla_keys` (registered by the engine: `key`, a ticket
-- hash `h`) that equals hash(ticket_id) of a staged ticket: that ticket's tix. A key matching
-- two tickets (two ids with one hash) shows as a repeated key, and the engine then takes the
-- general path, which joins on the ids themselves.
SELECT k.key, t.tix
FROM _sla_keys k
JOIN _sla_tickets t ON hash(t.ticket_id) = k.h
