-- Staging. Grain: one row per event, with the next event of the same ticket beside it
-- (NULL next_* on a ticket's last event). Events are ordered once, at ingest, by event_seq.
CREATE OR REPLACE TEMP VIEW mine_steps AS
SELECT
    ticket_id,
    event_seq,
    t_us,
    activity,
    resource,
    lead(activity) OVER per_ticket                 AS next_activity,
    lead(resource) OVER per_ticket                 AS next_resource,
    (lead(t_us) OVER per_ticket - t_us) / 1e6      AS wait_s
FROM mine_events
WINDOW per_ticket AS (PARTITION BY ticket_id ORDER BY event_seq);
