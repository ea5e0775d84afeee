-- Grain: one row per stored result table. Replaces the run of $result_table with this one
-- (inside the transaction that replaced the table).
DELETE FROM runs WHERE result_table = $result_table;
INSERT INTO runs (result_table, analysis, policy, policy_fingerprint, policy_source, as_of,
                  parameters, ticketlens_version, events, max_source_id, sources_hash,
                  created_at)
VALUES ($result_table, $analysis, $policy, $policy_fingerprint, $policy_source, $as_of,
        $parameters, $version, $events, $max_source_id, $sources_hash, $created_at);
