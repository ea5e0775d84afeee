-- Staging. Grain: one row per distinct trace (activity codes without the model's `anywhere`
-- steps), numbered by frequency (trace_id 1 = most tickets), and one row per ticket with its
-- trace_id. Built from mine_ticket_keys / mine_variant_keys (see stg_variant_keys.sql).
CREATE OR REPLACE TEMP TABLE mine_conformance_traces AS
SELECT
    seq,
    sum(cases)::BIGINT                                      AS cases,
    row_number() OVER (ORDER BY sum(cases) DESC, seq)       AS trace_id
FROM mine_variant_keys
GROUP BY seq;

CREATE OR REPLACE TEMP TABLE mine_ticket_traces AS
SELECT t.ticket_id, c.trace_id
FROM mine_ticket_keys t
JOIN mine_variant_keys v
  ON t.k0 IS NOT DISTINCT FROM v.k0 AND t.k1 IS NOT DISTINCT FROM v.k1
 AND t.codes IS NOT DISTINCT FROM v.codes
JOIN mine_conformance_traces c ON c.seq = v.seq;
