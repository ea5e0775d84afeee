"""``ingest`` and ``info``: real ticket exports into the workspace's canonical event log.

One call is one transaction: every path is detected, read, validated and loaded, or — on any
refusal — nothing at all is written to the workspace.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingType
from contextlib import ExitStack, suppress
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from ticketlens.core.errors import ConfigError, InputError, SchemaError, TicketlensError
from ticketlens.core.files import atomic_file, make_folder
from ticketlens.core.lifecycle import ActivityRoles
from ticketlens.core.progress import IngestProgress
from ticketlens.core.roster import RosterFile, load_roster_file
from ticketlens.sources.ingest.detect import Detection, detect
from ticketlens.sources.ingest.excelfile import release_sheets, sheet_identity
from ticketlens.sources.ingest.load import LoadResult, SourceRecord, drop_stage, load_source
from ticketlens.sources.ingest.mapping import Mapping, load_mapping, with_flags
from ticketlens.sources.ingest.read_csv import read_table, stage_csv
from ticketlens.sources.ingest.read_events import desk_sha256, resolve_tz, stage_desk
from ticketlens.sources.ingest.read_servicenow import stage_servicenow
from ticketlens.sources.ingest.read_tickets import stage_ticket_table
from ticketlens.sources.ingest.read_xes import stage_xes
from ticketlens.sources.ingest.roles import load_roles, source_policy, store_source_roles
from ticketlens.sources.ingest.scan import FileScan, drop_utf8_copies, scan_file, sha256_of
from ticketlens.sources.ingest.stage import ReadOptions, Staged
from ticketlens.sources.ingest.summary import IngestSummary, SourceSummary
from ticketlens.workspace.connection import (
    DEFAULT_DB,
    WorkspaceLike,
    borrowed,
    refresh_event_index,
    use_workspace,
)
from ticketlens.workspace.info import WorkspaceInfo, workspace_info
from ticketlens.workspace.roles import read_roles
from ticketlens.workspace.roster import attach_roster_file, refresh_inferred, roster_summary
from ticketlens.workspace.source_policy import write_source_preset

__all__ = ["IngestSummary", "WorkspaceInfo", "info", "ingest"]

DEFAULT_NOT_BEFORE = datetime(1990, 1, 1, tzinfo=UTC)
# DuckDB spills to disk beyond this, keeping a 10 M-event ingest inside a 4 GB budget.
MEMORY_LIMIT = os.environ.get("TICKETLENS_MEMORY_LIMIT", "2GB")


def _check_tz(tz: str | None) -> None:
    if tz is None:
        return
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone --tz {tz!r}: use an IANA name such as UTC, Europe/Paris or "
            "America/New_York"
        ) from None


def _instant(value: datetime | str | None, name: str, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _options_key(detection: Detection, options: ReadOptions, dedupe: bool) -> str:
    """What decides how bytes become events: same bytes + same key = nothing to do."""
    mapping = asdict(detection.mapping) if detection.mapping else None
    if mapping:
        mapping.pop("source", None)
        mapping.pop("roles", None)  # roles change no event: re-ingesting with others rewrites them
        mapping.pop("policy", None)  # nor does the preset the source implies
    text = json.dumps(
        {"format": detection.format, "mapping": mapping, "options": asdict(options),
         "dedupe": dedupe}, sort_keys=True, default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stage(con: duckdb.DuckDBPyConnection, detection: Detection, options: ReadOptions,
           progress: IngestProgress, scan: FileScan | None) -> Staged:
    """Dispatch to the reader of the detected format; all end in the same staging tables."""
    staged = _stage_format(con, detection, options, progress, scan)
    if detection.sheet is None:
        return staged
    staged.details["sheet"] = detection.sheet.name
    if options.encoding or options.delimiter:
        staged.warnings.append("--encoding and --delimiter apply to CSV input: a workbook's "
                               "cells carry their own text, so they were ignored")
    return staged


def _stage_format(con: duckdb.DuckDBPyConnection, detection: Detection, options: ReadOptions,
                  progress: IngestProgress, scan: FileScan | None) -> Staged:
    path, where = detection.path, str(detection.path)
    sheet = detection.sheet.name if detection.sheet else None
    if detection.format == "xes":
        return stage_xes(con, path, options, on_bytes=progress.bytes_done)
    if detection.format == "events" and sheet is None:
        return stage_desk(con, path, options, where, scan)
    mapping = detection.mapping
    assert mapping is not None
    if detection.format == "servicenow":
        return stage_servicenow(con, path, detection.container, mapping, options,
                                progress.bytes_done, scan, sheet)
    if detection.format == "ticket-table":
        raw = read_table(con, path, detection.container, mapping, options,
                         progress.bytes_done, scan, sheet)
        return stage_ticket_table(con, raw, mapping, options, where)
    return stage_csv(con, path, detection.container, mapping, options, progress.bytes_done, scan,
                     sheet)


def _detect(path: Path, format: str, mapping: Mapping | None, flags: MappingType[str, Any],
            encoding: str | None, sheet: str | int | None = None) -> Detection:
    given = {k: v for k, v in flags.items() if v not in (None, (), [])}
    if mapping is not None or not given:
        return detect(path, format, with_flags(mapping, given), encoding, sheet)
    # Flags refine a recognised layout, or alone describe an unknown one.
    try:
        found = detect(path, format, None, encoding, sheet)
    except SchemaError:
        return detect(path, format, with_flags(None, given), encoding, sheet)
    if found.mapping is None:
        raise ConfigError(f"{path}: column flags (--case, --activity, ...) do not apply to "
                          f"{found.format} input")
    return replace(found, mapping=with_flags(found.mapping, given),
                   reason=found.reason + " + column flags")


def ingest(
    paths: str | Path | Sequence[str | Path],
    *,
    db: WorkspaceLike = DEFAULT_DB,
    format: str = "auto",
    mapping: str | Path | MappingType[str, Any] | Mapping | None = None,
    tz: str | None = None,
    dayfirst: bool | None = None,
    timestamp_format: str | Sequence[str] | None = None,
    quarantine: str | Path | None = None,
    dedupe: bool = False,
    progress: bool = False,
    source_name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    columns: MappingType[str, Any] | None = None,
    plausible_from: datetime | str | None = None,
    plausible_to: datetime | str | None = None,
    roster: str | Path | None = None,
    roles: str | Path | MappingType[str, Any] | ActivityRoles | None = None,
    sheet: str | int | None = None,
) -> IngestSummary:
    """Load ``paths`` into the workspace ``db`` (a path, created if missing; or an open
    workspace, left open); return the accounting.

    ``format``: auto | events | xes | csv | servicenow | ticket-table. ``mapping``: a TOML path,
    a built-in name (``ticketlens.sources.ingest.mapping.builtin_names()``), a dict or a ``Mapping``;
    ``columns`` holds column flags (case, activity, timestamp, resource, priority, category,
    department, notes, event_id, created) that override it. ``tz``: zone of naive timestamps
    (None: the source's declared zone — a generated desk's manifest — else UTC).
    ``dayfirst``: True/False settles day/month order when the data cannot. ``dedupe``: drop
    exact repeats (always counted). ``plausible_from``/``plausible_to``: events outside are
    flagged (default 1990-01-01 .. now + 1 day). ``source_name``: source identity (default the
    file or folder name) — a newer export under a known name adds only new events.
    ``roster``: a roster file (CSV ``name,tier,team,skills``, or a desk TOML's
    ``[[technician]]`` blocks) that becomes the workspace's roster, replacing an earlier one;
    with no ``paths`` it is attached to the workspace alone.
    ``roles``: a roles file (TOML path, dict or ``ActivityRoles``) saying what the activities
    mean; it wins over the mapping's roles and inference (docs/ingest.md "Lifecycle roles").
    ``sheet``: the sheet of a workbook (.xlsx, .xlsb, .xls, .ods) to read — a name, or a number
    counted from 1; default the first. Workbooks are recognised by content, whatever their name.
    """
    started = time.perf_counter()
    items = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not items and roster is None:
        raise InputError("no input path given: name one or more files or desk folders "
                         "(or a --roster file)")
    roster_file = load_roster_file(roster) if roster is not None else None
    if source_name and len(items) > 1:
        raise ConfigError("--source names one source: ingest one path at a time with it")
    _check_tz(tz)
    base_mapping = load_mapping(mapping)
    user_roles = load_roles(roles)
    flags = dict(columns or {})
    # How every source is read and loaded: the same for each path of this call.
    load_one = partial(
        _ingest_one, tz=tz, dayfirst=dayfirst, formats=_timestamp_formats(timestamp_format),
        encoding=encoding, delimiter=delimiter, dedupe=dedupe, source_name=source_name,
        not_before=_instant(plausible_from, "--plausible-from", DEFAULT_NOT_BEFORE),
        not_after=_instant(plausible_to, "--plausible-to", datetime.now(UTC) + timedelta(days=1)),
    )
    try:
        detections = [_detect(p, format, base_mapping, flags, encoding, sheet) for p in items]
        return _ingest_detected(db, detections, load_one, user_roles=user_roles,
                                roster_file=roster_file, quarantine=quarantine,
                                progress=progress, started=started)
    finally:
        release_sheets()
        drop_utf8_copies()  # a UTF-16 input's UTF-8 copy, however the ingest ended


def _ingest_detected(
    db: WorkspaceLike, detections: list[Detection], load_one: Callable[..., SourceSummary], *,
    user_roles: ActivityRoles | None, roster_file: RosterFile | None,
    quarantine: str | Path | None, progress: bool, started: float,
) -> IngestSummary:
    """Load the detected sources into ``db`` in one transaction, then what depends on all of
    them (event index, roster, quarantine file); a refusal writes nothing."""
    # os.path.exists, not Path.exists: a name the system refuses is no file (opening says why)
    created = isinstance(db, str | os.PathLike) and not os.path.exists(db)
    resources = ExitStack()
    succeeded = False
    try:
        # opened inside the try: a Ctrl-C while a new workspace is created removes it too
        workspace = resources.enter_context(use_workspace(db))
        db_name = str(workspace.path) if borrowed(db) else str(db)
        workspace.con.execute("SET memory_limit = $m", {"m": MEMORY_LIMIT})
        workspace.con.execute("SET enable_progress_bar = false")
        # outputs: files written during the transaction, moved into place once it committed
        with (ExitStack() as outputs, IngestProgress(progress) as bar,
              workspace.transaction() as con):
            summaries = _load_sources(con, detections, partial(load_one, con, bar=bar), user_roles)
            # removed events (a newer export replacing a ticket's history) change the index
            # even when the event count stays the same
            if any(s.events_loaded or s.events_removed or s.case_attributes
                   for s in summaries):
                refresh_event_index(con)
            roster_report = _update_roster(con, roster_file, summaries)
            quarantine_target = _quarantine_output(con, summaries, quarantine, workspace.path,
                                                   outputs)
        totals = workspace.con.execute(
            "SELECT count(*), count(DISTINCT ticket_id) FROM events").fetchall()[0]
        succeeded = True
    except duckdb.Error as exc:
        if os.environ.get("TICKETLENS_DEBUG"):
            raise
        if isinstance(exc, duckdb.InterruptException):
            raise KeyboardInterrupt from None
        raise InputError(f"ingest failed, nothing was loaded: {str(exc).splitlines()[0]}") from None
    finally:
        resources.close()
        if created and not succeeded:
            # A refused or interrupted first ingest leaves no workspace file behind.
            for leftover in (Path(db), Path(f"{db}.wal")):  # type: ignore[arg-type]
                with suppress(OSError):  # absent, or a name too long to exist
                    leftover.unlink()
    return IngestSummary(
        db=db_name, sources=tuple(summaries),
        quarantine_file=str(quarantine_target) if quarantine_target else None,
        workspace_events=int(totals[0]), workspace_cases=int(totals[1]),
        seconds=time.perf_counter() - started, roster=roster_report,
    )


def _timestamp_formats(timestamp_format: str | Sequence[str] | None) -> tuple[str, ...]:
    if timestamp_format is None:
        return ()
    return (timestamp_format,) if isinstance(timestamp_format, str) else tuple(timestamp_format)


def _load_sources(con: duckdb.DuckDBPyConnection, detections: list[Detection],
                  load_one: Callable[[Detection], SourceSummary],
                  user_roles: ActivityRoles | None) -> list[SourceSummary]:
    """Load each detected source (``load_one(detection)``) and record the roles of its
    activities and the SLA policy it implies (its preset; a generated desk's own policy file,
    kept as text); an unchanged source keeps its roles unless the user passed new ones (and
    gets its policy recorded if a workspace of an older ticketlens lacks it)."""
    summaries = []
    for detection in detections:
        summary = load_one(detection)
        summaries.append(summary)
        if summary.status != "unchanged" or user_roles is not None:
            mapping_roles = detection.mapping.roles if detection.mapping else None
            roles = store_source_roles(con, summary.source_id, mapping_roles, user_roles)
        elif not con.execute("SELECT count(*) FROM source_policies WHERE source_id = $s",
                             {"s": summary.source_id}).fetchall()[0][0]:
            roles = read_roles(con, summary.source_id)
        else:
            continue
        write_source_preset(con, summary.source_id, *source_policy(detection, roles))
    return summaries


def _quarantine_output(con: duckdb.DuckDBPyConnection, summaries: list[SourceSummary],
                       quarantine: str | Path | None, db_path: Path,
                       outputs: ExitStack) -> Path | None:
    """The CSV of the rows this call's new sources quarantined (``quarantine``, default beside
    the workspace), entered in ``outputs`` so it is moved into place only once the transaction
    committed; None when no row was quarantined."""
    new_ids = [s.source_id for s in summaries if s.status != "unchanged"]
    quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE list_contains($ids, source_id)",
        {"ids": new_ids},
    ).fetchall()[0][0]
    if not quarantined:
        return None
    target = Path(quarantine) if quarantine else _default_quarantine(db_path)
    make_folder(target.parent)
    _write_quarantine(con, new_ids, outputs.enter_context(atomic_file(target)))
    return target


def _update_roster(con: duckdb.DuckDBPyConnection, roster_file: RosterFile | None,
                   summaries: list[SourceSummary]) -> dict[str, Any] | None:
    """Attach the roster file, and re-infer tiers for people no roster states when the events
    or the roster changed: what the roster now holds (None when nothing changed)."""
    changed = any(s.status != "unchanged" for s in summaries)
    if roster_file is None and not changed:
        return None
    attached = attach_roster_file(con, roster_file) if roster_file is not None else 0
    inferred = refresh_inferred(con)
    return {"file": str(roster_file.path) if roster_file else None, "attached": attached,
            "inferred": inferred, "in_force": roster_summary(con)}


def _default_quarantine(db: str | Path) -> Path:
    db = Path(db)
    return db.with_name(f"{db.stem}.quarantine.csv")


def _write_quarantine(con: duckdb.DuckDBPyConnection, ids: list[int], path: Path) -> None:
    con.sql(
        'SELECT file AS source_file, line, "column", value, reason FROM quarantine '
        "WHERE list_contains($ids, source_id) ORDER BY source_id, file, line",
        params={"ids": ids},
    ).write_csv(str(path), header=True)


def _ingest_one(
    con: duckdb.DuckDBPyConnection, detection: Detection, bar: IngestProgress, *,
    tz: str | None, dayfirst: bool | None, formats: tuple[str, ...], encoding: str | None,
    delimiter: str | None, dedupe: bool, source_name: str | None, not_before: datetime,
    not_after: datetime,
) -> SourceSummary:
    path = detection.path
    if detection.format == "events":
        source_tz, tz_origin = resolve_tz(path, tz)
    else:
        source_tz, tz_origin = tz or "UTC", "--tz" if tz else "default"
    options = ReadOptions(tz=source_tz, dayfirst=dayfirst, timestamp_format=formats,
                          encoding=encoding, delimiter=delimiter)
    name = source_name or path.resolve().name
    file = str(path)
    if detection.sheet is not None:
        # Another sheet than the first is another source; quarantine rows say which sheet.
        file = f"{path}!{detection.sheet.name}"
        if detection.sheet.position > 1 and not source_name:
            name = f"{name}!{detection.sheet.name}"
    options_key = _options_key(detection, options, dedupe)
    size = path.stat().st_size if path.is_file() else 0
    bar.source(path.name, size)
    scan = None
    if path.is_dir():
        sha = desk_sha256(path)
    elif detection.container == "csv" and detection.format != "xes":
        # One pass gives both the content hash and the line map of the file.
        if path.stat().st_size == 0:
            raise InputError(f"{path}: the file is empty (0 bytes): nothing to ingest")
        scan = scan_file(path, on_bytes=bar.bytes_done, encoding=options.encoding)
        sha = scan.sha256
    else:
        sha = sha256_of(path)
    if detection.sheet is not None:
        sha = sheet_identity(sha, detection.sheet.name)
    same_bytes = con.execute(
        "SELECT source_id, name, details->>'options_key', rows_read FROM sources "
        "WHERE sha256 = $sha ORDER BY source_id",
        {"sha": sha},
    ).fetchall()
    for source_id, prior_name, prior_key, rows in same_bytes:
        if prior_key == options_key:
            return _unchanged(detection, source_id, prior_name, source_tz, tz_origin, rows)
    if same_bytes:
        raise InputError(
            f"{path}: these exact bytes were already ingested as source #{same_bytes[0][0]} "
            f"({same_bytes[0][1]!r}) with different reading options; loading them again would "
            "duplicate its events. Ingest into a new workspace (--db) to read them differently"
        )
    prior_format = next(iter(con.execute(
        "SELECT format FROM sources WHERE name = $n ORDER BY source_id DESC LIMIT 1", {"n": name}
    ).fetchall()), None)
    if prior_format and prior_format[0] != detection.format:
        raise InputError(
            f"{path}: source {name!r} was ingested before as {prior_format[0]}, this file reads "
            f"as {detection.format}; name it differently with --source NAME"
        )
    bar.step("reading")
    staged = _stage(con, detection, options, bar, scan)
    staged.sha256 = sha
    bar.step("loading")
    record = SourceRecord(
        name=name, format=detection.format, path=str(path.resolve()), file=file,
        tz=source_tz, options_key=options_key,
        row_grain="ticket" if detection.format == "ticket-table" else "event",
        kind=source_kind(detection), dedupe=dedupe, not_before=not_before, not_after=not_after,
    )
    result = load_source(con, staged, record)
    drop_stage(con)
    summary = _summary(detection, staged, result, name, source_tz, tz_origin)
    if summary.rows_read and summary.rows_quarantined == summary.rows_read:
        reasons = "; ".join(f"{r} ({n:,})" for r, n in list(result.quarantine_reasons.items())[:3])
        raise InputError(
            f"{path}: all {summary.rows_read:,} rows would be quarantined ({reasons}); "
            "nothing was loaded. Check the delimiter, encoding and column mapping"
        )
    if not summary.balanced:  # pragma: no cover - an accounting bug must never pass silently
        raise TicketlensError(f"{path}: internal accounting error: {summary.to_dict()}")
    return summary


def source_kind(detection: Detection) -> str:
    """What makes two exports exports of the same source: the format and the mapping (for a
    mapping made of column flags, the columns it reads)."""
    mapping = detection.mapping
    if mapping is None:
        return detection.format
    columns = json.dumps([mapping.case, mapping.activity, mapping.timestamp], default=str)
    return f"{detection.format}:{mapping.name}:{columns}"


def _unchanged(detection: Detection, source_id: int, name: str, tz: str, tz_origin: str,
               rows: int) -> SourceSummary:
    return SourceSummary(
        path=str(detection.path), name=name, format=detection.format,
        detected=detection.describe(),
        mapping=detection.mapping.name if detection.mapping else None, status="unchanged",
        source_id=source_id, tz=tz, tz_origin=tz_origin, timestamp_format=None,
        timestamp_evidence=None, line_numbers="", rows_read=0, rows_loaded=0,
        rows_quarantined=0, rows_deduped=0, rows_already_present=0, events_loaded=0, cases=0,
        duplicate_events=0, out_of_order_events=0, out_of_order_cases=0,
        implausible={}, implausible_examples=[], case_attributes=0, merged_tickets=0,
        first_timestamp=None, last_timestamp=None, quarantine_reasons={},
        warnings=[f"identical to source #{source_id} ({name!r}, {rows:,} rows): nothing to do"],
    )


def _summary(detection: Detection, staged: Staged, result: LoadResult, name: str, tz: str,
             tz_origin: str) -> SourceSummary:
    warnings = list(staged.warnings)
    if result.merged_tickets:
        warnings.append(
            f"{result.merged_tickets:,} tickets already had events from other kinds of source: "
            "their events are merged and renumbered"
        )
    if result.tickets.get("kept"):
        warnings.append(
            f"{result.tickets['kept']:,} tickets are held from a newer export of this source "
            f"(export time after {_when(result.export_time)}): this export's history of them "
            "was not loaded (counted as already present)"
        )
    return SourceSummary(
        path=str(detection.path), name=name, format=detection.format,
        detected=detection.describe(),
        mapping=detection.mapping.name if detection.mapping else None,
        status=result.status, source_id=result.source_id, tz=tz, tz_origin=tz_origin,
        timestamp_format=staged.timestamp_format, timestamp_evidence=staged.timestamp_evidence,
        line_numbers=staged.line_numbers, rows_read=staged.rows_read,
        rows_loaded=result.rows_loaded, rows_quarantined=result.rows_quarantined,
        rows_deduped=result.rows_deduped, rows_already_present=result.rows_already_present,
        events_loaded=result.events_loaded, cases=result.cases,
        duplicate_events=result.duplicate_events,
        out_of_order_events=result.out_of_order_events,
        out_of_order_cases=result.out_of_order_cases, implausible=result.flags,
        implausible_examples=result.flag_examples, case_attributes=result.case_attributes,
        merged_tickets=result.merged_tickets, first_timestamp=result.first_timestamp,
        last_timestamp=result.last_timestamp, quarantine_reasons=result.quarantine_reasons,
        warnings=warnings, details=staged.details, tickets=result.tickets,
        events_removed=result.events_removed, export_time=result.export_time,
    )


def _when(instant: datetime | None) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if instant else "?"


def info(db: WorkspaceLike = DEFAULT_DB) -> WorkspaceInfo:
    """What the workspace ``db`` (a path, or an open workspace) holds: sources, cases, events,
    span, activities, attributes."""
    with use_workspace(db, read_only=True) as workspace:
        return workspace_info(workspace.con, str(workspace.path) if borrowed(db) else str(db))
