-- Staging, fast path. Grain: one row per event at or before the as-of instant, as the table
-- holds them: no join, no sort. Per event: hash(ticket_id), by which the engine finds each
-- ticket's run of consecutive event_seq and matches it to `_sla_tickets`; event_seq; the instant;
-- and one integer packing, per text column, a few bits of hash(value): (hash >> $k_<kind>) &
-- $m_<kind>, placed at bit $s_<kind>. The engine picks the bits so that the kind's distinct
-- values (and NULL) differ in them, and turns them into codes by table lookup.
SELECT hash(ticket_id) AS h,
       event_seq,
       epoch_us("timestamp") AS ts_us,
       (((hash(activity) >> $k_activity::UBIGINT) & $m_activity::UBIGINT)
           << $s_activity::UBIGINT)
       | (((hash(priority) >> $k_priority::UBIGINT) & $m_priority::UBIGINT)
           << $s_priority::UBIGINT)
       | (((hash(assigned_to) >> $k_person::UBIGINT) & $m_person::UBIGINT)
           << $s_person::UBIGINT)
       | (((hash(category) >> $k_category::UBIGINT) & $m_category::UBIGINT)
           << $s_category::UBIGINT)
       | (((hash(department) >> $k_department::UBIGINT) & $m_department::UBIGINT)
           << $s_department::UBIGINT) AS hash_bits
FROM events
WHERE "timestamp" <= $as_of
