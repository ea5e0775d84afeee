-- Mart. Grain: one row per reopen: a ticket coming back after it was resolved or closed. A
-- reopen is an event of a reopen activity ($reopen, from the reopen role) that finds the
-- ticket resolved or closed: the last event before it that is a closure ($closing), a
-- resolution ($resolving) or a reopen is a closure or resolution (as the SLA facts count
-- reopens). The false closure is the most recent closure or resolution before it;
-- `resolved_by` held the ticket at its most recent resolution (else at that closure).
-- `reclosed_at` is the next closure after the reopen (NULL: still open). Only the tickets
-- stg_rework.sql found reopening are scanned.
WITH marked AS (
    SELECT
        ticket_id,
        event_seq,
        ts,
        activity,
        list_contains($reopen, activity)
            AND last_value(CASE WHEN list_contains($closing, activity)
                                  OR list_contains($resolving, activity) THEN 'done'
                                WHEN list_contains($reopen, activity) THEN 'open' END
                           IGNORE NULLS)
                OVER (per_ticket ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) = 'done'
                                                                                  AS is_reopen,
        last_value(CASE WHEN list_contains($closing, activity)
                          OR list_contains($resolving, activity) THEN ts END IGNORE NULLS)
            OVER (per_ticket ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)   AS closed_at,
        last_value(CASE WHEN list_contains($closing, activity)
                          OR list_contains($resolving, activity) THEN activity END IGNORE NULLS)
            OVER (per_ticket ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)   AS closed_by_activity,
        last_value(CASE WHEN list_contains($resolving, activity) THEN resource END IGNORE NULLS)
            OVER (per_ticket ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)   AS resolver,
        last_value(CASE WHEN list_contains($closing, activity) THEN resource END IGNORE NULLS)
            OVER (per_ticket ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)   AS closer,
        first_value(CASE WHEN list_contains($closing, activity) THEN ts END IGNORE NULLS)
            OVER (per_ticket ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)   AS reclosed_at
    FROM mine_events
    SEMI JOIN (SELECT ticket_id FROM mine_rework_tickets WHERE reopen) USING (ticket_id)
    WINDOW per_ticket AS (PARTITION BY ticket_id ORDER BY event_seq)
),
final AS (
    SELECT
        ticket_id,
        row_number() OVER (PARTITION BY ticket_id ORDER BY event_seq)  AS reopen_no,
        activity                                                       AS reopen_activity,
        closed_by_activity,
        closed_at,
        ts                                                             AS reopened_at,
        (epoch_us(ts) - epoch_us(closed_at)) / 1e6                     AS closed_for_s,
        coalesce(resolver, closer)                                     AS resolved_by,
        reclosed_at
    FROM marked
    WHERE is_reopen
)
SELECT * FROM final
ORDER BY ticket_id, reopen_no;
