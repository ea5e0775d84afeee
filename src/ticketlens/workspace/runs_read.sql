-- Grain: one row — the run that produced the stored result table $table (none if unknown).
SELECT result_table, analysis, policy, policy_fingerprint, policy_source, as_of, parameters,
       ticketlens_version, events, max_source_id, sources_hash, created_at
FROM runs
WHERE result_table = $table;
