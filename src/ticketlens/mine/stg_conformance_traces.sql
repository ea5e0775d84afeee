-- Staging. Grain: one row per ticket: its trace without the model's `anywhere` activities
-- ($anywhere), each activity one character (codes from mine_activity_codes), and the last
-- such activity (to tell finished tickets from open ones).
CREATE OR REPLACE TEMP VIEW mine_activity_codes AS
SELECT activity, chr((255 + row_number() OVER (ORDER BY activity))::INTEGER) AS code
FROM (SELECT DISTINCT activity FROM mine_events);

CREATE OR REPLACE TEMP TABLE mine_conformance_traces AS
SELECT
    ticket_id,
    coalesce(string_agg(code, '' ORDER BY event_seq)
             FILTER (WHERE NOT list_contains($anywhere, activity)), '')     AS trace,
    arg_max(activity, event_seq) FILTER (WHERE NOT list_contains($anywhere, activity))
                                                                           AS last_activity
FROM mine_events
JOIN mine_activity_codes USING (activity)
GROUP BY ticket_id;
