-- Mart. Grain: one row per (source, target) pair of ticket holders: how often the work passed
-- directly from one to the other within a ticket (consecutive events held by source then
-- target), in how many tickets, and the handover delay (source's event to target's, seconds).
-- $include_unassigned: events nobody holds count as the holder $unassigned (else skipped);
-- $include_self: a holder followed by itself counts too (pm4py's handover network does both).
WITH held AS (
    SELECT ticket_id, event_seq, t_us, coalesce(resource, $unassigned) AS holder
    FROM mine_events
    WHERE resource IS NOT NULL OR $include_unassigned
),
pairs AS (
    SELECT
        ticket_id,
        holder                                      AS source,
        lead(holder) OVER per_ticket                AS target,
        (lead(t_us) OVER per_ticket - t_us) / 1e6   AS delay_s
    FROM held
    WINDOW per_ticket AS (PARTITION BY ticket_id ORDER BY event_seq)
),
network AS (
    SELECT
        source,
        target,
        count(*)                   AS handovers,
        count(DISTINCT ticket_id)  AS cases,
        avg(delay_s)               AS mean_delay_s,
        median(delay_s)            AS median_delay_s,
        max(delay_s)               AS max_delay_s
    FROM pairs
    WHERE target IS NOT NULL AND ($include_self OR source <> target)
    GROUP BY source, target
),
final AS (
    SELECT
        n.source,
        n.target,
        s.tier AS source_tier,
        t.tier AS target_tier,
        n.handovers,
        n.cases,
        n.mean_delay_s,
        n.median_delay_s,
        n.max_delay_s
    FROM network n
    LEFT JOIN mine_roster s ON s.resource = n.source
    LEFT JOIN mine_roster t ON t.resource = n.target
)
SELECT * FROM final
ORDER BY handovers DESC, source, target;
