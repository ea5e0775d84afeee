-- Staging. Grain: one row per activity whose roles declare the state a ticket is in after it
-- (mine_roles): its state code, 1.. in the order of $states, 0 = keeps the state before.
CREATE OR REPLACE TEMP TABLE mine_state_map AS
SELECT DISTINCT
    activity,
    CASE WHEN state = 'keep' THEN 0 ELSE list_position($states, state) END AS code
FROM mine_roles
WHERE state IS NOT NULL AND (state = 'keep' OR list_contains($states, state));
