-- Staging. Grain: one row per ticket: its trace (the activity sequence by event_seq, each
-- activity encoded as one character so a trace is a short string that groups fast), its
-- event count and its throughput time (first to last event, seconds).
CREATE OR REPLACE TEMP VIEW mine_activity_codes AS
SELECT activity, chr((255 + row_number() OVER (ORDER BY activity))::INTEGER) AS code
FROM (SELECT DISTINCT activity FROM mine_events);

CREATE OR REPLACE TEMP VIEW mine_traces AS
SELECT
    ticket_id,
    string_agg(code, '' ORDER BY event_seq)   AS trace,
    (max(t_us) - min(t_us)) / 1e6             AS throughput_s
FROM mine_events
JOIN mine_activity_codes USING (activity)
GROUP BY ticket_id;
