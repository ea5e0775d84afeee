-- Mart. Grain: one row per ticket with at least one escalation or de-escalation ($steps):
-- the chain of tiers it went through, starting at the first assignee's tier. The tier after a
-- step is the new holder's tier from the roster, else the tier the escalation's role reaches
-- (mine_roles: Escalated to L2 -> L2), else '?' (a de-escalation to someone the roster does
-- not know). $de_escalated: the steps that are de-escalations.
WITH candidates AS (
    SELECT * FROM mine_events
    SEMI JOIN (SELECT ticket_id FROM mine_rework_tickets WHERE escalation) USING (ticket_id)
),
per_ticket_start AS (
    SELECT ticket_id, arg_min(resource, event_seq) FILTER (WHERE resource IS NOT NULL) AS first_assignee
    FROM candidates
    GROUP BY ticket_id
),
reached AS (
    SELECT activity, any_value(tier) AS tier
    FROM mine_roles WHERE role = 'escalation' AND tier IS NOT NULL
    GROUP BY activity
),
steps AS (
    SELECT
        e.ticket_id,
        e.event_seq,
        e.activity,
        coalesce(r.tier, t.tier, '?') AS tier,
        r.tier_rank
    FROM candidates e
    LEFT JOIN mine_roster r ON r.resource = e.resource
    LEFT JOIN reached t ON t.activity = e.activity
    WHERE list_contains($steps, e.activity)
),
chains AS (
    SELECT
        ticket_id,
        count(*) FILTER (WHERE NOT list_contains($de_escalated, activity)) AS escalations,
        count(*) FILTER (WHERE list_contains($de_escalated, activity))     AS de_escalations,
        list(activity ORDER BY event_seq)                 AS steps,
        list(tier ORDER BY event_seq)                     AS tiers
    FROM steps
    GROUP BY ticket_id
),
final AS (
    SELECT
        c.ticket_id,
        s.first_assignee,
        coalesce(f.tier, '?')                                         AS first_tier,
        c.escalations,
        c.de_escalations,
        array_to_string(list_prepend(coalesce(f.tier, '?'), c.tiers), ' → ') AS chain,
        c.steps
    FROM chains c
    JOIN per_ticket_start s USING (ticket_id)
    LEFT JOIN mine_roster f ON f.resource = s.first_assignee
)
SELECT * FROM final
ORDER BY ticket_id;
