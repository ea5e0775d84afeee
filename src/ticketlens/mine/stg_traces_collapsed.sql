-- Staging. Grain: one row per ticket, like stg_traces.sql, but with loops collapsed: a run of
-- the same activity repeated back to back counts once (A A B -> A B), as Celonis counts
-- variants. The throughput time still spans all events.
CREATE OR REPLACE TEMP VIEW mine_activity_codes AS
SELECT activity, chr((255 + row_number() OVER (ORDER BY activity))::INTEGER) AS code
FROM (SELECT DISTINCT activity FROM mine_events);

CREATE OR REPLACE TEMP VIEW mine_traces AS
WITH marked AS (
    SELECT
        ticket_id, event_seq, t_us, activity,
        activity IS DISTINCT FROM lag(activity) OVER (PARTITION BY ticket_id ORDER BY event_seq)
            AS starts_run
    FROM mine_events
)
SELECT
    ticket_id,
    string_agg(code, '' ORDER BY event_seq) FILTER (WHERE starts_run) AS trace,
    (max(t_us) - min(t_us)) / 1e6                                     AS throughput_s
FROM marked
JOIN mine_activity_codes USING (activity)
GROUP BY ticket_id;
