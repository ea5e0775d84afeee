-- Mart. Grain: one row per ticket of the segment: its complete XES <trace> element, ordered by
-- ticket. Trace attributes: concept:name (the ticket id), then its case attributes (one value
-- per name: the most recently ingested source's, latest_case_attributes in views.sql). Event attributes, in event_seq order: the
-- standard concept:name, time:timestamp (UTC, microseconds), org:resource (absent when nobody
-- held the ticket), lifecycle:transition, then the workspace columns priority, category,
-- department, notes, event_id, and every kept source column whose name does not clash.
WITH case_values AS (
    SELECT ticket_id, name, value
    FROM latest_case_attributes
    SEMI JOIN (SELECT DISTINCT ticket_id FROM mine_segment_events) USING (ticket_id)
    WHERE name <> 'concept:name'
),
trace_attributes AS (
    SELECT ticket_id, string_agg(mine_xes_string(name, value), '' ORDER BY name) AS xml
    FROM case_values
    GROUP BY ticket_id
),
event_elements AS (
    SELECT
        ticket_id,
        event_seq,
        '<event>'
        || mine_xes_string('concept:name', activity)
        || '<date key="time:timestamp" value="'
        || strftime(timezone('UTC', "timestamp"), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00"/>'
        || mine_xes_string('org:resource', assigned_to)
        || '<string key="lifecycle:transition" value="complete"/>'
        || mine_xes_string('priority', priority)
        || mine_xes_string('category', category)
        || mine_xes_string('department', department)
        || mine_xes_string('notes', notes)
        || mine_xes_string('event_id', event_id)
        || coalesce(array_to_string(list_transform(
               list_filter(map_entries(attributes), lambda e: NOT list_contains($reserved, e.key)),
               lambda e: mine_xes_string(e.key, e.value)), ''), '')
        || '</event>' AS xml
    FROM mine_segment_events
),
final AS (
    SELECT
        e.ticket_id,
        '<trace>' || mine_xes_string('concept:name', e.ticket_id) || coalesce(any_value(a.xml), '')
        || string_agg(e.xml, '' ORDER BY e.event_seq) || '</trace>' AS xml
    FROM event_elements e
    LEFT JOIN trace_attributes a USING (ticket_id)
    GROUP BY e.ticket_id
)
SELECT xml FROM final
ORDER BY ticket_id;
