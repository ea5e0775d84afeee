-- Grain: one row — the number of staged events that repeat an earlier event exactly (same
-- fingerprint). Only events sharing their ticket and instant with another can repeat one.
SELECT count(*) - count(DISTINCT hash(ticket_id, ts, activity, assigned_to, priority, category,
                                      department, notes, event_id, attributes))
FROM stage_events
SEMI JOIN (SELECT source_row, sub_row FROM stage_seq WHERE same_instant) USING (source_row, sub_row);
