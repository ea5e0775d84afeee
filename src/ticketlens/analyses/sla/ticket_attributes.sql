-- Staging. Grain: one row per case attribute of a staged ticket that the facts carry (team,
-- system, channel, csat, the source's own SLA verdict), from every source that has it. The
-- engine keeps, per ticket and attribute, the row of the most recently ingested source, then
-- reads csat as a number (NULL when not one) and the verdict as a boolean (true/t/1/yes/y,
-- false/f/0/no/n; else NULL). `attribute` numbers the names in the order below.
WITH tickets AS (
    SELECT ticket_id, tix FROM _sla_tickets
),
wanted (name, attribute) AS (
    VALUES ($team, 0::TINYINT), ($system, 1), ($channel, 2), ($csat, 3), ($made_sla, 4)
),
attributes AS (
    SELECT ticket_id, name, value, source_id FROM case_attributes
),
final AS (
    SELECT
        t.tix,
        w.attribute,
        a.source_id,
        a.value
    FROM attributes a
    JOIN wanted w USING (name)
    JOIN tickets t USING (ticket_id)
)
SELECT * FROM final
