-- Staging. Grain: one row per (trace activity, position) for positions 0 .. 2*$per-1: the
-- activity's code shifted into the position's $bits-wide slot of a 128-bit fingerprint
-- (positions below $per in k0, the rest in k1). Summing a ticket's slot values encodes its
-- whole activity sequence exactly, in one hash aggregation, without sorting any events.
CREATE OR REPLACE TEMP TABLE mine_slot_values AS
SELECT
    c.activity,
    s.position::INTEGER AS event_seq,
    CASE WHEN s.position < $per
         THEN c.code::HUGEINT << ($bits * s.position)::HUGEINT ELSE 0 END         AS v0,
    CASE WHEN s.position >= $per
         THEN c.code::HUGEINT << ($bits * (s.position - $per))::HUGEINT ELSE 0 END AS v1
FROM mine_trace_codes c, range(2 * $per) s(position);
