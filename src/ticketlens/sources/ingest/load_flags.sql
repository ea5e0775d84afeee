-- Grain: one row per loaded event and implausibility rule it breaks (an event may break two).
-- far_past / far_future: outside the plausible window; before_creation: earlier than the
-- creation instant the source states for its ticket (or its first event with the creation role
-- in the ticketlens vocabulary).
CREATE OR REPLACE TEMP TABLE stage_flags AS
WITH creation AS (
    SELECT ticket_id, min(created) AS created
    FROM (
        SELECT ticket_id, created FROM stage_created
        UNION ALL
        SELECT ticket_id, min(ts) FROM stage_events
        WHERE list_contains($created_activities, activity) AND NOT $has_created
        GROUP BY ticket_id
    )
    GROUP BY ticket_id
)
SELECT source_row, ticket_id, ts, 'far_past' AS flag FROM stage_seq WHERE ts < $not_before
UNION ALL
SELECT source_row, ticket_id, ts, 'far_future' FROM stage_seq WHERE ts > $not_after
UNION ALL
SELECT s.source_row, s.ticket_id, s.ts, 'before_creation'
FROM stage_seq s JOIN creation c USING (ticket_id)
WHERE s.ts < c.created;
