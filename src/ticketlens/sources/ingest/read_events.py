"""ticketlens' own generated desk: ``events.csv`` / ``events.parquet`` and the linked tables.

The event log round-trips exactly: every column maps to its canonical column, ``Unassigned``
becomes NULL (nobody holds the ticket), and naive timestamps are read in the time zone the
desk's ``manifest.json`` records. Ingesting the *folder* also attaches the linked tables'
ticket-level columns (tickets, sla_metrics, ownership, business_impact) as case attributes,
``assigned_team`` under the shared name ``team``; a column name used by two tables is
prefixed by its table (``sla_metrics.priority``).

The manifest also says what the desk's ``sla_metrics`` were measured with, and ingest keeps
both so ``ticketlens sla`` measures the same way by default: the SLA policy file it names
(``sla_policy.file``, kept as text in ``source_policies``: ``desk_policy``) and the window's end,
the instant the desk was observed until (``sources.details.observed_until``:
``workspace.events.default_as_of``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ticketlens.clock.policy import policy_from_toml
from ticketlens.core.errors import ConfigError, InputError
from ticketlens.core.schema import ACTIVITIES, CASE, CASE_ATTR_TEAM, TIMESTAMP_FORMAT
from ticketlens.sources.ingest.csvfile import RawTable, read_delimited
from ticketlens.sources.ingest.detect import desk_events_file
from ticketlens.sources.ingest.mapping import builtin
from ticketlens.sources.ingest.parquetfile import parquet_columns, read_parquet
from ticketlens.sources.ingest.scan import FileScan, sha256_of
from ticketlens.sources.ingest.stage import Params, ReadOptions, Staged, stage_event_log
from ticketlens.sources.ingest.timestamps import TimestampFormat, parse_sql

LINKED_TABLES = ("tickets", "sla_metrics", "ownership", "business_impact")
ATTRIBUTE_RENAMES = {"assigned_team": CASE_ATTR_TEAM}
TZ_KEYS = ("timezone", "time_zone", "tz")
LINKED_FORMAT = TimestampFormat((TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S.%f"), False, "canonical",
                                "generated desk")


def desk_files(path: Path) -> tuple[Path, Path | None, dict[str, Path]]:
    """(events file, manifest or None, linked tables) for a desk folder or an events file."""
    if path.is_dir():
        events = desk_events_file(path)
        assert events is not None
        folder = path
        linked = {}
        for name in LINKED_TABLES:
            for suffix in (".parquet", ".csv"):
                if (folder / f"{name}{suffix}").is_file():
                    linked[name] = folder / f"{name}{suffix}"
                    break
    else:
        events, folder, linked = path, path.parent, {}
    manifest = folder / "manifest.json"
    return events, manifest if manifest.is_file() else None, linked


def desk_sha256(path: Path) -> str:
    """Content identity of a desk: the hashes of every file ingest reads from it."""
    events, manifest, linked = desk_files(path)
    parts = [f"events:{sha256_of(events)}"]
    if manifest is not None:
        parts.append(f"manifest:{sha256_of(manifest)}")
        policy = _policy_file(manifest)
        if policy is not None:
            parts.append(f"sla_policy:{sha256_of(policy)}")
    parts.extend(f"{name}:{sha256_of(file)}" for name, file in sorted(linked.items()))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest() if path.is_dir() else \
        sha256_of(events)


def _manifest(manifest: Path) -> Any:
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{manifest}: not readable JSON: {exc}") from None


def manifest_tz(manifest: Path | None) -> str | None:
    if manifest is None:
        return None
    data = _manifest(manifest)
    for key in TZ_KEYS:
        if isinstance(data, dict) and isinstance(data.get(key), str):
            return data[key]
    return None


def resolve_tz(path: Path, requested: str | None) -> tuple[str, str]:
    """The zone of the desk's naive timestamps, and where that answer came from."""
    _, manifest, _ = desk_files(path)
    declared = manifest_tz(manifest)
    if declared and requested and requested != declared:
        raise ConfigError(
            f"{manifest} says the desk's timestamps are in {declared}, but --tz {requested} was "
            "given: drop --tz (the manifest is authoritative for a generated desk)"
        )
    if declared:
        return declared, "manifest.json"
    return requested or "UTC", "--tz" if requested else "default"


def _policy_file(manifest: Path) -> Path | None:
    """The SLA policy file the manifest names (``sla_policy.file``), None for a desk of an
    older ticketlens; a named file that is missing is an error (its sla_metrics would be
    unexplained)."""
    data = _manifest(manifest)
    entry = data.get("sla_policy") if isinstance(data, dict) else None
    name = entry.get("file") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not name:
        return None
    path = manifest.parent / name
    if Path(name).name != name or not path.is_file():
        raise InputError(f"{manifest}: sla_policy.file {name!r} is not a file beside it; "
                         "regenerate the desk, or restore the file")
    return path


def desk_policy(path: Path) -> tuple[str, str] | None:
    """(file name, TOML text) of the SLA policy a desk's manifest names, checked to be a
    valid policy; None when there is none (a lone events file, a desk of an older ticketlens:
    its mapping's preset applies)."""
    _, manifest, _ = desk_files(path)
    policy = _policy_file(manifest) if manifest is not None else None
    if policy is None:
        return None
    try:
        text = policy.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{policy}: not readable as UTF-8 text: {exc}") from None
    policy_from_toml(text, origin=str(policy))  # a broken file is refused now, not at `sla`
    return policy.name, text


def observed_until(con: duckdb.DuckDBPyConnection, path: Path, tz: str) -> str | None:
    """The instant the desk was observed until, ISO 8601 UTC: the midnight after its window's
    last day (manifest ``window.end``, inclusive) in ``tz``; nothing later was written, and
    its sla_metrics ran open tickets' clocks to it. None without a manifest window."""
    _, manifest, _ = desk_files(path)
    data = _manifest(manifest) if manifest is not None else None
    window = data.get("window") if isinstance(data, dict) else None
    try:
        end = date.fromisoformat(window["end"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None
    # DuckDB reads the naive instant in the zone, as it reads the desk's timestamps
    moment = con.execute("SELECT timezone($tz, $t::TIMESTAMP)",
                         {"tz": tz, "t": end + timedelta(days=1)}).fetchall()[0][0]
    return moment.astimezone(UTC).isoformat()


def _read(con: duckdb.DuckDBPyConnection, path: Path, name: str, options: ReadOptions,
          scan: FileScan | None = None) -> RawTable:
    with path.open("rb") as fh:
        if fh.read(4) == b"PAR1":
            return read_parquet(con, path, name)
    return read_delimited(con, path, name, encoding=options.encoding, scan=scan)


def stage_desk(
    con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, where: str,
    scan: FileScan | None = None,
) -> Staged:
    """Stage a desk folder, or a lone events file (``scan``: its scan, when already made)."""
    events_file, manifest, linked = desk_files(path)
    raw = _read(con, events_file, "raw", options, scan if events_file == path else None)
    mapping = builtin("events")
    if raw.delimiter == "":
        # Parquet: a typed timestamp comes back as ISO text (see parquetfile), not as the
        # CSV's pattern; a text column keeps the CSV's pattern.
        kinds = dict(parquet_columns(con, events_file))
        kind = kinds.get("timestamp", "VARCHAR")
        if kind.startswith("TIMESTAMP WITH TIME ZONE"):
            mapping = replace(mapping, timestamp_format=("%Y-%m-%d %H:%M:%S.%f%z",))
        elif kind.startswith("TIMESTAMP"):
            mapping = replace(mapping, timestamp_format=("%Y-%m-%d %H:%M:%S.%f",))
    staged = stage_event_log(con, raw, mapping, options, "stage", where)
    unknown = con.execute(
        "SELECT count(*), count(DISTINCT activity) FROM stage_events "
        "WHERE activity NOT IN (SELECT unnest($known::VARCHAR[]))",
        {"known": list(ACTIVITIES)},
    ).fetchall()[0]
    assert unknown is not None
    if unknown[0]:
        staged.warnings.append(f"{unknown[0]:,} events carry {unknown[1]} activity name(s) "
                               "outside the ticketlens vocabulary")
    staged.details["events_file"] = events_file.name
    staged.details["manifest"] = manifest.name if manifest else None
    if manifest is None or manifest_tz(manifest) is None:
        staged.warnings.append(f"no time zone in a manifest.json beside {events_file.name}: its "
                               f"timestamps were read in {options.tz}")
    if path.is_dir():
        staged.sha256 = desk_sha256(path)
        staged.details["linked_tables"] = _attach_linked(con, linked, options)
    if manifest is not None:
        staged.details["technicians"] = _stage_roster(con, manifest)
        staged.details["observed_until"] = observed_until(con, path, options.tz)
    return staged


def _stage_roster(con: duckdb.DuckDBPyConnection, manifest: Path) -> int:
    """The desk's roster (name, tier, team, skills) into ``stage_technicians``: how many."""
    roster = json.loads(manifest.read_text(encoding="utf-8")).get("roster") or []
    con.execute("CREATE TEMP TABLE stage_technicians "
                "(name VARCHAR, tier VARCHAR, team VARCHAR, skills VARCHAR[])")
    rows = [(p["name"], p["tier"], p.get("team"), p.get("skills")) for p in roster
            if p.get("name") and p.get("tier")]
    if rows:
        con.executemany("INSERT INTO stage_technicians VALUES (?, ?, ?, ?)", rows)
    return len(rows)


def _attach_linked(
    con: duckdb.DuckDBPyConnection, linked: dict[str, Path], options: ReadOptions
) -> dict[str, Any]:
    """Unpivot each linked table's columns into stage_case; count rows attached or not."""
    con.execute(
        'CREATE TEMP TABLE stage_linked_rejects (file VARCHAR, source_row BIGINT, "column" VARCHAR, '
        "value VARCHAR, reason VARCHAR)"
    )
    tables = {name: _read(con, file, f"linked_{name}", options) for name, file in linked.items()}
    con.execute("CREATE TEMP TABLE stage_tickets AS SELECT DISTINCT ticket_id FROM stage_events")
    seen = _tables_per_attribute(tables.values())
    report: dict[str, Any] = {}
    for table, raw in tables.items():
        file = linked[table].name
        if CASE not in raw.columns:
            raise InputError(f"{linked[table]}: linked table without a {CASE!r} column; "
                             f"columns: {', '.join(raw.columns)}")
        ticket = raw.column_ref(CASE)
        _reject_linked_rows(con, raw, file)
        _stage_linked_attributes(con, raw, table, seen, options)
        tickets, without_events = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE e.ticket_id IS NULL) "
            f"FROM (SELECT DISTINCT {ticket} AS ticket_id FROM {raw.view} "
            f"WHERE {ticket} IS NOT NULL) t LEFT JOIN stage_tickets e USING (ticket_id)"
        ).fetchall()[0]
        report[table] = {
            "file": file,
            "rows_read": raw.rows_read,
            "rows_attached": int(tickets),
            "rows_quarantined": raw.rows_read - int(tickets),
            "tickets": int(tickets),
            "tickets_without_events": int(without_events),
        }
    return report


def _tables_per_attribute(tables: Iterable[RawTable]) -> dict[str, int]:
    """How many linked tables carry each attribute name (a name in two is prefixed by table)."""
    seen: dict[str, int] = {}
    for raw in tables:
        for column in raw.columns:
            if column != CASE:
                name = ATTRIBUTE_RENAMES.get(column, column)
                seen[name] = seen.get(name, 0) + 1
    return seen


def _reject_linked_rows(con: duckdb.DuckDBPyConnection, raw: RawTable, file: str) -> None:
    """Quarantine a linked table's unreadable rows, rows without a ticket, and repeats of a
    ticket (its first row is the one attached)."""
    ticket = raw.column_ref(CASE)
    con.execute(
        "INSERT INTO stage_linked_rejects SELECT $file, source_row, \"column\", value, reason "
        f"FROM {raw.rejects}",
        {"file": file},
    )
    con.execute(
        f"INSERT INTO stage_linked_rejects SELECT $file, source_row, $col, NULL, "
        f"'missing ticket_id' FROM {raw.view} WHERE {ticket} IS NULL",
        {"file": file, "col": CASE},
    )
    con.execute(
        f"""
        INSERT INTO stage_linked_rejects
        SELECT $file, source_row, $col, ticket,
               'ticket_id already seen at line ' || first_row || ' of ' || $file
        FROM (SELECT source_row, {ticket} AS ticket,
                     min(source_row) OVER (PARTITION BY {ticket}) AS first_row
              FROM {raw.view} WHERE {ticket} IS NOT NULL)
        WHERE source_row > first_row
        """,
        {"file": file, "col": CASE},
    )


def _stage_linked_attributes(con: duckdb.DuckDBPyConnection, raw: RawTable, table: str,
                             seen: dict[str, int], options: ReadOptions) -> None:
    """A linked table's columns, one (ticket, name, value) row each, into stage_case."""
    ticket = raw.column_ref(CASE)
    names, values = [], []
    params = Params()
    for column in raw.columns:
        if column == CASE:
            continue
        name = ATTRIBUTE_RENAMES.get(column, column)
        names.append(f"{table}.{name}" if seen[name] > 1 else name)
        ref = raw.column_ref(column)
        if column.endswith("_at"):
            # Instants as absolute ISO 8601 UTC text, like every other source's.
            fmt = params.add(list(LINKED_FORMAT.formats))
            tz = params.add(options.tz)
            parsed = parse_sql(ref, LINKED_FORMAT, tz, fmt)
            ref = f"coalesce(strftime({parsed}, '%Y-%m-%dT%H:%M:%SZ'), {ref})"
        values.append(ref)
    names_param = params.add(names)
    con.execute(
        f"""
        INSERT INTO stage_case
        SELECT ticket_id, name, value FROM (
            SELECT ticket_id, unnest({names_param}::VARCHAR[]) AS name,
                   unnest(vals) AS value
            FROM (SELECT {ticket} AS ticket_id, [{', '.join(values)}]::VARCHAR[] AS vals
                  FROM {raw.view} WHERE {ticket} IS NOT NULL
                  QUALIFY row_number() OVER (PARTITION BY {ticket} ORDER BY source_row) = 1))
        WHERE value IS NOT NULL
        """,
        params.values,
    )
