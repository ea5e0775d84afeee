-- Staging. Grain: one row per case attribute the facts carry (team, system, channel, csat, the
-- source's own SLA verdict), of any ticket, from every source that has it, as the table holds
-- them (no join: a string join on a million tickets costs more than the rest together). `h` is
-- hash(ticket_id): the engine matches runs of rows with one hash to the staged tickets
-- (`_sla_tickets`, stg_match.sql), keeps, per ticket and attribute, the row of the most recently
-- ingested source, then reads csat as a number (NULL when not one) and the verdict as a boolean
-- (true/t/1/yes/y, false/f/0/no/n; else NULL). `attribute` numbers the names in the order
-- below.
SELECT hash(ticket_id) AS h,
       CASE name WHEN $team THEN 0 WHEN $system THEN 1 WHEN $channel THEN 2 WHEN $csat THEN 3
                 ELSE 4 END::TINYINT AS attribute,
       source_id,
       value
FROM case_attributes
WHERE name IN ($team, $system, $channel, $csat, $made_sla)
