-- Mart. Grain: one row per activity, counted from the variants: its events, the tickets
-- containing it, and the tickets that start and end with it (start and end activities).
WITH variants AS (
    SELECT seq, cases FROM mine_variant_keys WHERE len(seq) > 0
),
occurrences AS (
    SELECT code, sum(cases)::BIGINT AS events
    FROM (SELECT unnest(seq) AS code, cases FROM variants)
    GROUP BY code
),
presences AS (
    SELECT code, sum(cases)::BIGINT AS cases
    FROM (SELECT unnest(list_distinct(seq)) AS code, cases FROM variants)
    GROUP BY code
),
starts AS (
    SELECT seq[1] AS code, sum(cases)::BIGINT AS start_cases FROM variants GROUP BY 1
),
ends AS (
    SELECT seq[-1] AS code, sum(cases)::BIGINT AS end_cases FROM variants GROUP BY 1
),
decoder AS (
    SELECT list(activity ORDER BY code) AS names FROM mine_activity_codes
),
final AS (
    SELECT
        names[o.code]                AS activity,
        o.events,
        p.cases,
        coalesce(s.start_cases, 0)   AS start_cases,
        coalesce(e.end_cases, 0)     AS end_cases
    FROM occurrences o
    JOIN presences p USING (code)
    LEFT JOIN starts s USING (code)
    LEFT JOIN ends e USING (code), decoder
)
SELECT * FROM final
ORDER BY events DESC, activity;
