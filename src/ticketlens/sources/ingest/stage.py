"""Staging: text rows + a mapping → typed canonical events, rejects and case attributes.

Every reader ends here with the same temp tables, which ``load`` then writes to the workspace:

* ``<p>_events``  — one row per accepted event: source_row, ticket_id, ts (TIMESTAMPTZ),
  activity, assigned_to, priority, category, department, notes, event_id, attributes (MAP),
  sub_row (order of several events made from one row: a ticket table's [events] order);
* ``<p>_rejects`` — one row per quarantined input row: source_row, column, value, reason;
* ``<p>_case``    — one row per ticket and attribute: ticket_id, name, value;
* ``<p>_created`` — one row per ticket whose source states a creation instant.

All validation is set-based SQL over the whole file; user values only ever travel as bound
parameters, and columns are addressed by their internal names (c0, c1, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from ticketlens.sources.ingest.csvfile import RawTable
from ticketlens.sources.ingest.mapping import Mapping
from ticketlens.sources.ingest.timestamps import (
    TimestampFormat,
    detect_format,
    explicit_format,
    parse_sql,
)
from ticketlens.workspace.sql import load_sql

CREATED = "__created__"
EVENT_COLUMNS_DDL = (
    "source_row BIGINT, ticket_id VARCHAR, ts TIMESTAMPTZ, activity VARCHAR, "
    "assigned_to VARCHAR, priority VARCHAR, category VARCHAR, department VARCHAR, "
    "notes VARCHAR, event_id VARCHAR, attributes MAP(VARCHAR, VARCHAR), sub_row INTEGER"
)


@dataclass
class Staged:
    """One source read into staging tables (names share the prefix ``prefix``)."""

    prefix: str
    rows_read: int
    sha256: str
    line_numbers: str
    timestamp_format: str | None = None
    timestamp_evidence: str | None = None
    has_created: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def events(self) -> str:
        return f"{self.prefix}_events"

    @property
    def rejects(self) -> str:
        return f"{self.prefix}_rejects"

    @property
    def case(self) -> str:
        return f"{self.prefix}_case"

    @property
    def created(self) -> str:
        return f"{self.prefix}_created"


@dataclass(frozen=True)
class ReadOptions:
    """Reading choices that apply to every source of one ingest."""

    tz: str = "UTC"
    dayfirst: bool | None = None
    timestamp_format: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None


class Params:
    """Named bound parameters for one generated statement: values are never spliced into SQL."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def value_sql(raw: RawTable, column: str, mapping: Mapping, params: Params) -> str:
    """The column as text, with the mapping's missing-value tokens turned into NULL."""
    ref = raw.column_ref(column)
    if not mapping.missing:
        return ref
    return f"CASE WHEN list_contains({params.add(list(mapping.missing))}, {ref}) THEN NULL ELSE {ref} END"


def timestamp_spec(
    con: duckdb.DuckDBPyConnection, raw: RawTable, column: str, mapping: Mapping,
    options: ReadOptions, where: str, dayfirst: bool | None = None,
) -> TimestampFormat | None:
    """Explicit format (option, then mapping) or detected from the data."""
    explicit = options.timestamp_format or mapping.timestamp_format
    if explicit:
        return explicit_format(explicit)
    params = Params()
    expr = value_sql(raw, column, mapping, params)
    if params.values:
        # Detection runs on a projection so the missing tokens are already NULL.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE ts_probe AS SELECT source_row, {expr} AS v "
            f"FROM {raw.view} WHERE v IS NOT NULL",
            params.values,
        )
        relation, value = "ts_probe", "v"
    else:
        relation, value = raw.view, raw.column_ref(column)
    choice = options.dayfirst if options.dayfirst is not None else mapping.dayfirst
    if choice is None:
        choice = dayfirst
    return detect_format(con, relation, value, what=f"{where}, column {column!r}",
                         dayfirst=choice)


def instant_sql(
    value: str, spec: TimestampFormat | None, options: ReadOptions, params: Params
) -> str:
    if spec is None:
        return "CAST(NULL AS TIMESTAMPTZ)"
    fmt = params.add(list(spec.formats))
    tz = "" if spec.aware else params.add(options.tz)
    return parse_sql(value, spec, tz, fmt)


def attributes_sql(raw: RawTable, columns: list[str], mapping: Mapping, params: Params) -> str:
    """A MAP of the given columns' non-missing values, keyed by header name."""
    if not columns:
        return "CAST(NULL AS MAP(VARCHAR, VARCHAR))"
    keys = params.add(columns)
    values = ", ".join(value_sql(raw, c, mapping, params) for c in columns)
    return (
        f"map_from_entries(list_filter(list_transform(list_zip({keys}, [{values}]), "
        "lambda x: {'key': x[1], 'value': x[2]}), lambda x: x.value IS NOT NULL))"
    )


def create_rejects(con: duckdb.DuckDBPyConnection, staged: Staged, raw: RawTable) -> None:
    con.execute(f"CREATE TEMP TABLE {staged.rejects} AS SELECT * FROM {raw.rejects}")


def stage_event_log(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, options: ReadOptions,
    prefix: str, where: str,
) -> Staged:
    """One row per event: validate, type and split the rows of ``raw``."""
    mapping = mapping.resolve(raw.columns, where)
    staged = Staged(prefix=prefix, rows_read=raw.rows_read, sha256=raw.sha256,
                    line_numbers=raw.line_numbers, warnings=list(raw.warnings))
    assert mapping.timestamp is not None and mapping.case is not None
    spec = timestamp_spec(con, raw, mapping.timestamp, mapping, options, where)
    if spec is not None:
        staged.timestamp_format = spec.describe()
        staged.timestamp_evidence = spec.evidence
    params = Params()
    select = ["source_row",
              *unless_blank(value_sql(raw, mapping.case, mapping, params), "ticket_id", params),
              *unless_blank(_activity_sql(raw, mapping, params), "activity", params)]
    ts_value = value_sql(raw, mapping.timestamp, mapping, params)
    select.append(f"{instant_sql(ts_value, spec, options, params)} AS ts")
    # The text is kept only where it did not parse (for the quarantine): no 10 M-string copy.
    select.append(f"CASE WHEN ts IS NULL THEN {ts_value} END AS ts_text")
    select.extend(_event_columns_sql(raw, mapping, params))
    rest = [c for c in raw.columns if c not in mapping.used_columns()]
    select.append(f"{attributes_sql(raw, rest, mapping, params)} AS attributes")
    case_columns = _case_attribute_columns(con, raw, mapping, options, spec, params)
    select.extend(f"{expr} AS ca{i}" for i, (_, expr) in enumerate(case_columns))
    typed = f"{prefix}_typed"
    con.execute(f"CREATE TEMP TABLE {typed} AS SELECT {', '.join(select)} FROM {raw.view}",
                params.values)
    create_rejects(con, staged, raw)
    release_raw(con, raw)
    _reject_incomplete_events(con, staged, typed, mapping, spec)
    _stage_case_attributes(con, staged, [name for name, _ in case_columns], typed)
    # A view, not a copy: loading reads the accepted rows once, straight from the typed table.
    con.execute(
        f"CREATE TEMP VIEW {staged.events} AS SELECT source_row, ticket_id, ts, "
        f"{_renamed_activity_sql(con, mapping)} AS activity, "
        "assigned_to, priority, category, department, notes, event_id, attributes, "
        f"0 AS sub_row FROM {typed} "
        "WHERE ticket_id IS NOT NULL AND activity IS NOT NULL AND ts IS NOT NULL"
    )
    if raw.renamed:
        staged.warnings.append("repeated column names renamed: " + "; ".join(raw.renamed))
    if mapping.field_columns().get("event_id"):
        _warn_repeated_event_ids(con, staged)
    return staged


# What counts as blank: spaces, tabs, line breaks and the Unicode spaces seen in exports. A
# regular expression (RE2), not trim(): about 4× faster on millions of values.
_BLANK = r"[ \t\n\r\x{0B}\f\x{A0}\x{2007}\x{202F}\x{3000}\x{FEFF}]*"


def unless_blank(expr: str, name: str, params: Params) -> list[str]:
    """``name``: the value, NULL when it is only whitespace; ``name_blank``: that whitespace
    (kept only there, for the quarantine's value column)."""
    blank = f"regexp_full_match({expr}, {params.add(_BLANK)})"
    return [f"CASE WHEN {blank} THEN NULL ELSE {expr} END AS {name}",
            f"CASE WHEN {blank} THEN {expr} END AS {name}_blank"]


def _warn_repeated_event_ids(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    sql = load_sql(__name__, "stage_event_ids.sql").format(events=staged.events)
    row = con.execute(sql).fetchone()
    assert row is not None
    reused, ids, examples = row
    if reused:
        staged.warnings.append(
            f"{reused:,} events reuse an event_id of another event ({ids:,} ids repeated, "
            f"e.g. {', '.join(examples)}): the source's event ids are not unique")


def _event_columns_sql(raw: RawTable, mapping: Mapping, params: Params) -> list[str]:
    """The optional per-event columns (NULL where the mapping has none); the mapping's
    "unassigned" tokens become NULL: nobody holds the ticket."""
    fields = mapping.field_columns()
    event_cols = {
        "assigned_to": fields.get("resource"),
        "priority": fields.get("priority"),
        "category": fields.get("category"),
        "department": fields.get("department"),
        "notes": fields.get("notes"),
        "event_id": fields.get("event_id"),
    }
    select = []
    for name, column in event_cols.items():
        if column is None:
            select.append(f"CAST(NULL AS VARCHAR) AS {name}")
            continue
        expr = value_sql(raw, column, mapping, params)
        if name == "assigned_to" and mapping.unassigned:
            tokens = params.add(list(mapping.unassigned))
            expr = f"CASE WHEN list_contains({tokens}, {expr}) THEN NULL ELSE {expr} END"
        select.append(f"{expr} AS {name}")
    return select


def _reject_incomplete_events(con: duckdb.DuckDBPyConnection, staged: Staged, typed: str,
                              mapping: Mapping, spec: TimestampFormat | None) -> None:
    """Quarantine the typed rows that are no event: no case id, no activity (or one of only
    whitespace), no timestamp, or a timestamp that does not parse (first reason only)."""
    assert mapping.case is not None and mapping.timestamp is not None
    format_text = spec.describe() if spec else "none"
    con.execute(
        f"""
        INSERT INTO {staged.rejects}
        SELECT source_row, $case_col, NULL, 'missing case id' FROM {typed}
        WHERE ticket_id IS NULL AND ticket_id_blank IS NULL
        UNION ALL
        SELECT source_row, $case_col, ticket_id_blank, 'blank case id (only whitespace)'
        FROM {typed} WHERE ticket_id_blank IS NOT NULL
        UNION ALL
        SELECT source_row, $act_col, NULL, 'missing activity'
        FROM {typed} WHERE ticket_id IS NOT NULL AND activity IS NULL AND activity_blank IS NULL
        UNION ALL
        SELECT source_row, $act_col, activity_blank, 'blank activity (only whitespace)'
        FROM {typed} WHERE ticket_id IS NOT NULL AND activity_blank IS NOT NULL
        UNION ALL
        SELECT source_row, $ts_col, NULL, 'missing timestamp'
        FROM {typed}
        WHERE ticket_id IS NOT NULL AND activity IS NOT NULL AND ts IS NULL AND ts_text IS NULL
        UNION ALL
        SELECT source_row, $ts_col, ts_text, 'timestamp does not match ' || $fmt
        FROM {typed}
        WHERE ticket_id IS NOT NULL AND activity IS NOT NULL AND ts_text IS NOT NULL AND ts IS NULL
        """,
        {"case_col": mapping.case, "act_col": " + ".join(mapping.activity),
         "ts_col": mapping.timestamp,
         "fmt": f"the detected format {format_text}; pass --timestamp-format"},
    )


def _activity_sql(raw: RawTable, mapping: Mapping, params: Params) -> str:
    parts = [value_sql(raw, c, mapping, params) for c in mapping.activity]
    if len(parts) == 1:
        return parts[0]
    separator = params.add(mapping.activity_separator)
    return f"nullif(concat_ws({separator}, {', '.join(parts)}), '')"


def _renamed_activity_sql(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> str:
    """``activity``, renamed through the mapping's [activity_names] table when it has one."""
    if not mapping.activity_names:
        return "activity"
    con.execute("CREATE OR REPLACE TEMP TABLE activity_names (source VARCHAR, target VARCHAR)")
    con.executemany("INSERT INTO activity_names VALUES (?, ?)", list(mapping.activity_names))
    return ("coalesce((SELECT n.target FROM activity_names n WHERE n.source = activity), "
            "activity)")


def release_raw(con: duckdb.DuckDBPyConnection, raw: RawTable) -> None:
    """Drop the text copy of the file as soon as the typed rows exist (bounded memory)."""
    con.execute(f"DROP VIEW IF EXISTS {raw.view}")
    for suffix in ("_text", "_lines"):
        con.execute(f"DROP TABLE IF EXISTS {raw.view}{suffix}")


def _case_attribute_columns(
    con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: Mapping, options: ReadOptions,
    spec: TimestampFormat | None, params: Params,
) -> list[tuple[str, str]]:
    """(attribute name, SQL value) for every mapped case attribute, plus the creation instant.

    Instants (``instants``, ``created``) are parsed like event timestamps — day/month order
    taken from the event timestamps when those needed it — and kept as ISO 8601 UTC text.
    """
    columns = list(mapping.case_attributes)
    if mapping.created:
        columns.append((CREATED, mapping.created))
    dayfirst = None
    if spec is not None and spec.family.startswith(("day", "month")):
        dayfirst = spec.family.startswith("day")
    instants = set(mapping.instants) | ({mapping.created} if mapping.created else set())
    result = []
    for name, column in columns:
        value = value_sql(raw, column, mapping, params)
        if column in instants:
            column_spec = timestamp_spec(con, raw, column, mapping, options,
                                         f"case attribute {column!r}", dayfirst=dayfirst)
            parsed = instant_sql(value, column_spec, options, params)
            if name == CREATED:
                value = parsed
            else:
                value = f"coalesce(strftime({parsed}, '%Y-%m-%dT%H:%M:%SZ'), {value})"
        result.append((name, value))
    return result


def _stage_case_attributes(
    con: duckdb.DuckDBPyConnection, staged: Staged, names: list[str], typed: str
) -> None:
    """Case attributes: each mapped column's value at the ticket's last event that has one."""
    con.execute(f"CREATE TEMP TABLE {staged.case} (ticket_id VARCHAR, name VARCHAR, value VARCHAR)")
    con.execute(f"CREATE TEMP TABLE {staged.created} (ticket_id VARCHAR, created TIMESTAMPTZ)")
    if not names:
        return
    aggregates = ", ".join(
        f"last(ca{i} ORDER BY ts, source_row) FILTER (WHERE ca{i} IS NOT NULL) AS a{i}, "
        f"count(DISTINCT ca{i}) > 1 AS varies{i}"
        for i in range(len(names))
    )
    per_ticket = f"{staged.prefix}_case_wide"
    con.execute(
        f"CREATE TEMP TABLE {per_ticket} AS SELECT ticket_id, {aggregates} FROM {typed} "
        "WHERE ticket_id IS NOT NULL AND activity IS NOT NULL AND ts IS NOT NULL "
        "GROUP BY ticket_id"
    )
    varying: dict[str, int] = {}
    for i, name in enumerate(names):
        if name == CREATED:
            con.execute(
                f"INSERT INTO {staged.created} SELECT ticket_id, a{i} FROM {per_ticket} "
                f"WHERE a{i} IS NOT NULL"
            )
            staged.has_created = True
            continue
        con.execute(
            f"INSERT INTO {staged.case} SELECT ticket_id, $name, a{i} FROM {per_ticket} "
            f"WHERE a{i} IS NOT NULL",
            {"name": name},
        )
        changed = con.execute(
            f"SELECT count(*) FILTER (WHERE varies{i}) FROM {per_ticket}"
        ).fetchall()[0][0]
        if changed:
            varying[name] = int(changed)
    if varying:
        staged.details["case_attributes_changing_within_ticket"] = varying
    con.execute(f"DROP TABLE {per_ticket}")
