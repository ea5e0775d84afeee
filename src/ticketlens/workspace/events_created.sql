-- Grain: one row per indexed ticket whose recorded creation instant (case attribute $name, e.g.
-- ServiceNow's opened_at; the latest source's value) reads as an instant at or before $as_of:
-- the ticket's tix and that instant in µs since the epoch. The source's own timestamp, never
-- an invented one; the reader adds it as a creation event to tickets without one.
SELECT t.tix, epoch_us(TRY_CAST(a.value AS TIMESTAMPTZ)) AS ts_us
FROM latest_case_attributes a
JOIN ticket_index t USING (ticket_id)
WHERE a.name = $name AND TRY_CAST(a.value AS TIMESTAMPTZ) <= $as_of
ORDER BY t.tix
