-- Staging. Rework is rare: find the tickets that can show it first, then look at their events
-- only. Grain: one row per variant key (stg_variant_keys.sql): whether its tickets may reopen
-- (a $reopen activity after a $closing or $resolving one; reopens.sql decides) or are
-- escalated ($steps), and which activities repeat how often.
CREATE OR REPLACE TEMP TABLE mine_rework_variants AS
WITH decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
),
named AS (
    SELECT k0, k1, codes, list_transform(seq, lambda code: names[code]) AS acts
    FROM mine_variant_keys, decoder
)
SELECT
    k0, k1, codes,
    len(list_filter(range(1, len(acts)), lambda i:
        (list_contains($closing, acts[i]) OR list_contains($resolving, acts[i]))
        AND list_has_any(acts[i + 1:], $reopen))) > 0          AS reopen,
    list_has_any(acts, $steps)                                 AS escalation,
    list_filter(list_transform(list_distinct(acts), lambda a:
        struct_pack(activity := a, occurrences := len(list_filter(acts, lambda b: b = a)))),
        lambda r: r.occurrences > 1)                           AS repeats
FROM named;
