-- Mart. Grain: one row per return of a ticket to a holder it had left: technician level (the
-- assigned_to) and tier level (the holder's tier from mine_roster; holders without a known
-- tier are left out). Runs of one holder count once; a return after exactly one other holder
-- (A -> B -> A) is `direct` ping-pong, after two or more (A -> B -> C -> A) `indirect`.
-- `via` lists the holders in between; `away_s` is the time from leaving A to coming back.
-- Only the tickets stg_bounced.sql found returning are scanned.
WITH candidates AS (
    SELECT * FROM mine_events SEMI JOIN mine_bounced USING (ticket_id)
),
held AS (
    SELECT 'technician' AS level, ticket_id, event_seq, t_us, ts, resource AS holder
    FROM candidates
    WHERE resource IS NOT NULL
    UNION ALL
    SELECT 'tier' AS level, e.ticket_id, e.event_seq, e.t_us, e.ts, r.tier AS holder
    FROM candidates e
    JOIN mine_roster r ON r.resource = e.resource
),
runs AS (
    SELECT
        *,
        holder IS DISTINCT FROM lag(holder) OVER (PARTITION BY level, ticket_id ORDER BY event_seq)
            AS starts_stint
    FROM held
),
stints AS (
    SELECT
        level, ticket_id, holder, t_us, ts,
        row_number() OVER per_ticket            AS pos,
        lead(t_us) OVER per_ticket              AS left_us,
        lead(ts) OVER per_ticket                AS left_ts
    FROM runs
    WHERE starts_stint
    WINDOW per_ticket AS (PARTITION BY level, ticket_id ORDER BY event_seq)
),
returns AS (
    SELECT
        level, ticket_id, holder, pos, t_us, ts,
        lag(pos) OVER per_holder      AS prev_pos,
        lag(left_us) OVER per_holder  AS prev_left_us,
        lag(left_ts) OVER per_holder  AS prev_left_ts
    FROM stints
    WINDOW per_holder AS (PARTITION BY level, ticket_id, holder ORDER BY pos)
),
bounced AS (
    SELECT * FROM returns WHERE prev_pos IS NOT NULL
),
sequences AS (
    SELECT level, ticket_id, list(holder ORDER BY pos) AS holders
    FROM stints
    SEMI JOIN bounced USING (level, ticket_id)
    GROUP BY level, ticket_id
),
final AS (
    SELECT
        b.level,
        b.ticket_id,
        b.holder,
        CASE WHEN b.pos - b.prev_pos = 2 THEN 'direct' ELSE 'indirect' END AS kind,
        list_slice(s.holders, b.prev_pos + 1, b.pos - 1)                  AS via,
        b.prev_left_ts                                                     AS left_at,
        b.ts                                                               AS returned_at,
        (b.t_us - b.prev_left_us) / 1e6                                    AS away_s
    FROM bounced b
    JOIN sequences s USING (level, ticket_id)
)
SELECT * FROM final
ORDER BY level, ticket_id, returned_at, holder;
