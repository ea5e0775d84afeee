-- Staging. Grain: one row per ticket that returns to a holder it had left, at technician or
-- tier level (candidates for ping-pong.sql). Each ticket's holders (technician code and tier
-- rank from mine_roster) are packed with their position, sorted within the ticket, and runs of
-- one holder collapsed into stints; a return is a stint holder seen in an earlier stint.
CREATE OR REPLACE TEMP MACRO mine_stints(holders) AS
    list_filter(holders, lambda h, i: i = 1 OR h <> holders[i - 1]);

CREATE OR REPLACE TEMP TABLE mine_bounced AS
WITH holders AS (
    SELECT
        h.resource,
        (row_number() OVER (ORDER BY h.resource))::BIGINT AS code,
        coalesce(r.tier_rank + 1, 0)::BIGINT               AS tier
    FROM (SELECT DISTINCT resource FROM mine_events WHERE resource IS NOT NULL) h
    LEFT JOIN mine_roster r USING (resource)
),
per_ticket AS (
    SELECT
        e.ticket_id,
        list_transform(list_sort(list((e.event_seq::BIGINT << 40) | (h.code << 8) | h.tier)),
                       lambda v: v & 1099511627775) AS packed
    FROM mine_events e
    JOIN holders h USING (resource)
    GROUP BY e.ticket_id
),
stints AS (
    SELECT
        ticket_id,
        mine_stints(list_transform(packed, lambda v: v >> 8))                             AS people,
        mine_stints(list_filter(list_transform(packed, lambda v: v & 255), lambda t: t > 0)) AS tiers
    FROM per_ticket
)
SELECT ticket_id
FROM stints
WHERE len(list_distinct(people)) < len(people) OR len(list_distinct(tiers)) < len(tiers);
