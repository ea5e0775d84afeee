-- Grain: one row — the workspace totals.
SELECT count(*) AS events,
       count(DISTINCT ticket_id) AS cases,
       min("timestamp") AS first_timestamp,
       max("timestamp") AS last_timestamp
FROM events;
