-- Views every connection to a workspace gets (temporary: defined per connection, so a workspace
-- of an older ticketlens or one opened read-only has them too). They are the one place the
-- "latest source wins" rule of case attributes is written (the roster's own precedence is
-- workspace/roster.sql): a newer export's values replace an older one's.

-- Grain: one row per ticket and case attribute name: the value of the most recently ingested
-- source that carries it (the greatest source_id).
CREATE OR REPLACE TEMP VIEW latest_case_attributes AS
SELECT ticket_id, name, arg_max(value, source_id) AS value
FROM case_attributes
GROUP BY ticket_id, name;
