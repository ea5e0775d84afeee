"""Ticket tables with no event history (one row per ticket): Kaggle customer-support table,
Jira and Zendesk issue exports, spreadsheets.

Each instant column named in the mapping's ``[events]`` becomes one event where it has a value;
a missing instant stays missing (never imputed) and is counted. Every other column is kept as a
case attribute. The order of ``[events]`` is the expected lifecycle: a ticket whose later event
comes *before* an earlier one (resolution before first response) is counted and reported, and
loaded as the data says — never "fixed". A ticket id seen twice is quarantined the second time.
"""

from __future__ import annotations

import duckdb

from ticketlens.core.lifecycle import VOCABULARY, Role
from ticketlens.sources.ingest.csvfile import RawTable
from ticketlens.sources.ingest.mapping import Mapping
from ticketlens.sources.ingest.stage import (
    EVENT_COLUMNS_DDL,
    Params,
    ReadOptions,
    Staged,
    create_rejects,
    instant_sql,
    release_raw,
    timestamp_spec,
    unless_blank,
    value_sql,
)
from ticketlens.sources.ingest.timestamps import TimestampFormat

# One instant column of the table: its activity, its header name, and the SQL selecting its text
# (``t<k>``) and its parsed instant (``i<k>``).
_Instant = tuple[str, str, str, str]


def stage_ticket_table(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, options: ReadOptions,
    where: str,
) -> Staged:
    mapping = mapping.resolve(raw.columns, where)
    assert mapping.case is not None
    staged = Staged(prefix="stage", rows_read=raw.rows_read, sha256=raw.sha256,
                    line_numbers=raw.line_numbers, warnings=list(raw.warnings))
    params = Params()
    instants, specs = _instant_columns(con, raw, mapping, options, where, params)
    described = [s.describe() for s in specs if s is not None]
    staged.timestamp_format = "; ".join(dict.fromkeys(described)) or None
    staged.timestamp_evidence = "; ".join(dict.fromkeys(s.evidence for s in specs if s)) or None
    typed = "stage_typed"
    attribute_names = _type_rows(con, raw, mapping, params, instants, typed)
    create_rejects(con, staged, raw)
    release_raw(con, raw)
    _quarantine(con, staged, typed, mapping.case, instants, specs)
    ok = f"{typed}_ok"
    con.execute(f"CREATE TEMP TABLE {ok} AS SELECT * FROM {typed} "
                f"ANTI JOIN {staged.rejects} USING (source_row)")
    _stage_events(con, staged, ok, instants)
    _stage_case_attributes(con, staged, ok, attribute_names)
    con.execute(f"CREATE TEMP TABLE {staged.created} (ticket_id VARCHAR, created TIMESTAMPTZ)")
    consistency = _consistency(con, ok, mapping, instants)
    staged.warnings.extend(consistency.pop("consistency_warnings"))  # type: ignore[arg-type]
    staged.details.update(consistency)
    if raw.renamed:
        staged.warnings.append("repeated column names renamed: " + "; ".join(raw.renamed))
    return staged


def _instant_columns(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, options: ReadOptions,
    where: str, params: Params,
) -> tuple[list[_Instant], list[TimestampFormat | None]]:
    """The instant columns in lifecycle order, each with its detected timestamp format. The
    first column whose format settles day/month order decides it for the columns after it."""
    instants: list[_Instant] = []
    specs = []
    order: bool | None = None
    for index, (activity, column) in enumerate(mapping.events):
        spec = timestamp_spec(con, raw, column, mapping, options, where, dayfirst=order)
        if spec is not None and spec.family.startswith(("day", "month")):
            order = spec.family.startswith("day")
        specs.append(spec)
        text = value_sql(raw, column, mapping, params)
        instants.append(
            (activity, column, f"{text} AS t{index}",
             f"{instant_sql(text, spec, options, params)} AS i{index}")
        )
    return instants, specs


def _type_rows(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, params: Params,
    instants: list[_Instant], typed: str,
) -> list[str]:
    """Temp table ``typed``: per row its ticket id, instants (text and parsed), event fields,
    and every other column as a list of case attribute values. Returns the attributes' names."""
    assert mapping.case is not None
    fields = mapping.field_columns()
    event_fields = {
        name: value_sql(raw, fields[key], mapping, params) if key in fields else "NULL"
        for name, key in (("priority", "priority"), ("category", "category"),
                          ("department", "department"))
    }
    renamed = {column: name for name, column in mapping.case_attributes}
    event_columns = {column for _, column in mapping.events}
    attribute_columns = [c for c in raw.columns if c != mapping.case and c not in event_columns]
    attribute_names = [renamed.get(c, c) for c in attribute_columns]
    attribute_values = [value_sql(raw, c, mapping, params) for c in attribute_columns]
    con.execute(
        f"""
        CREATE TEMP TABLE {typed} AS
        SELECT source_row,
               {', '.join(unless_blank(value_sql(raw, mapping.case, mapping, params),
                                       'ticket_id', params))},
               {', '.join(t for _, _, t, _ in instants)},
               {', '.join(i for _, _, _, i in instants)},
               {', '.join(f'CAST({v} AS VARCHAR) AS {k}' for k, v in event_fields.items())},
               [{', '.join(attribute_values) or ''}]::VARCHAR[] AS attribute_values
        FROM {raw.view}
        """,
        params.values,
    )
    return attribute_names


def _quarantine(
    con: duckdb.DuckDBPyConnection, staged: Staged, typed: str, case: str,
    instants: list[_Instant], specs: list[TimestampFormat | None],
) -> None:
    """Rows without a ticket id, repeats of a ticket id, and (first reason per row only)
    instants that do not parse."""
    con.execute(
        f"INSERT INTO {staged.rejects} SELECT source_row, $col, ticket_id_blank, "
        "CASE WHEN ticket_id_blank IS NULL THEN 'missing ticket id' "
        "ELSE 'blank ticket id (only whitespace)' END "
        f"FROM {typed} WHERE ticket_id IS NULL",
        {"col": case},
    )
    con.execute(
        f"""
        INSERT INTO {staged.rejects}
        SELECT source_row, $col, ticket_id,
               'ticket id already seen at line ' || first_row || ' (a ticket table has one row '
               || 'per ticket)'
        FROM (SELECT source_row, ticket_id,
                     min(source_row) OVER (PARTITION BY ticket_id) AS first_row
              FROM {typed} WHERE ticket_id IS NOT NULL)
        WHERE source_row > first_row
        """,
        {"col": case},
    )
    for index, (_activity, column, _, _) in enumerate(instants):
        spec = specs[index]
        expected = spec.describe() if spec else "a timestamp"
        con.execute(
            f"INSERT INTO {staged.rejects} SELECT source_row, $col, t{index}, $reason "
            f"FROM {typed} WHERE t{index} IS NOT NULL AND i{index} IS NULL "
            f"AND source_row NOT IN (SELECT source_row FROM {staged.rejects})",
            {"col": column,
             "reason": f"timestamp does not match the detected format {expected}; "
                       "pass --timestamp-format"},
        )


def _stage_events(
    con: duckdb.DuckDBPyConnection, staged: Staged, ok: str, instants: list[_Instant]
) -> None:
    """One event per instant that has a value; a missing instant is no event (never imputed)."""
    con.execute(f"CREATE TEMP TABLE {staged.events} ({EVENT_COLUMNS_DDL})")
    for index, (activity, _, _, _) in enumerate(instants):
        con.execute(
            f"INSERT INTO {staged.events} SELECT source_row, ticket_id, i{index}, $activity, "
            f"NULL, priority, category, department, NULL, NULL, NULL, {index} FROM {ok} "
            f"WHERE i{index} IS NOT NULL",
            {"activity": activity},
        )


def _stage_case_attributes(
    con: duckdb.DuckDBPyConnection, staged: Staged, ok: str, names: list[str]
) -> None:
    """Every non-empty value of the other columns, as a (ticket, name, value) row."""
    con.execute(f"CREATE TEMP TABLE {staged.case} (ticket_id VARCHAR, name VARCHAR, value VARCHAR)")
    if names:
        con.execute(
            f"""
            INSERT INTO {staged.case}
            SELECT ticket_id, name, value FROM (
                SELECT ticket_id, unnest($names::VARCHAR[]) AS name,
                       unnest(attribute_values) AS value
                FROM {ok})
            WHERE value IS NOT NULL
            """,
            {"names": names},
        )


def _consistency(
    con: duckdb.DuckDBPyConnection, ok: str, mapping: Mapping, instants: list[_Instant]
) -> dict[str, object]:
    """Counts of what the table does not say, and of what it says in the wrong order."""
    tickets = con.execute(f"SELECT count(*) FROM {ok}").fetchall()[0][0]
    present = ", ".join(f"count(i{k})" for k in range(len(instants)))
    none = " AND ".join(f"i{k} IS NULL" for k in range(len(instants)))
    row = con.execute(f"SELECT {present}, count(*) FILTER (WHERE {none}) FROM {ok}").fetchall()[0]
    assert row is not None
    per_event = {instants[k][0]: int(row[k]) for k in range(len(instants))}
    creating = (mapping.roles or VOCABULARY).having(Role.CREATION)
    creation = [k for k, (activity, *_rest) in enumerate(instants) if activity in creating]
    missing_creation = tickets - per_event[instants[creation[0]][0]] if creation else tickets
    inverted: dict[str, int] = {}
    for later in range(len(instants)):
        for earlier in range(later):
            count = con.execute(
                f"SELECT count(*) FROM {ok} WHERE i{later} < i{earlier}"
            ).fetchall()[0][0]
            if count:
                inverted[f"{instants[later][0]} before {instants[earlier][0]}"] = int(count)
    warnings = []
    if missing_creation:
        warnings.append(
            f"creation time missing for {missing_creation:,} of {tickets:,} tickets "
            f"({'the table has no creation column' if not creation else 'empty'}): "
            "not imputed; their response and resolution times cannot be measured from creation"
        )
    for label, count in inverted.items():
        warnings.append(f"{label} in {count:,} tickets: loaded as the data says, not corrected")
    return {
        "tickets": int(tickets),
        "events_per_activity": per_event,
        "tickets_without_events": int(row[-1]),
        "creation_missing": int(missing_creation),
        "order_inconsistencies": inverted,
        "consistency_warnings": warnings,
    }
