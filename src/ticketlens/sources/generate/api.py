"""``ticketlens.sources.generate``: write a synthetic service desk folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ticketlens.core import interrupt
from ticketlens.core.errors import ConfigError
from ticketlens.core.files import StagedFolder
from ticketlens.core.progress import Display
from ticketlens.core.schema import (
    ACTIVITIES,
    CATEGORIES,
    DEPARTMENTS,
    PRIORITIES,
    SCHEMA_VERSION,
    UNASSIGNED,
)
from ticketlens.sources.generate.config import DeskConfig, load_config
from ticketlens.sources.generate.simulate import Simulation, prepare, run
from ticketlens.sources.generate.sla_policy import POLICY_FILE, PRESET, DeskPolicy, desk_policy
from ticketlens.sources.generate.sla_table import SLA_METRICS_SCHEMA, sla_metrics
from ticketlens.sources.generate.tables import (
    BUSINESS_IMPACT_SCHEMA,
    EVENT_SCHEMA,
    OWNERSHIP_SCHEMA,
    TICKET_SCHEMA,
    business_impact_table,
    events_table,
    ownership_table,
    ticket_facts,
    tickets_table,
)
from ticketlens.sources.generate.texts import NOTE_POOL
from ticketlens.sources.generate.writer import (
    FORMATS,
    TableSink,
    check_destination,
    check_space,
    write_manifest,
)

TABLES = ("events", "tickets", "sla_metrics", "ownership", "business_impact")
_SCHEMAS = {"events": EVENT_SCHEMA, "tickets": TICKET_SCHEMA, "sla_metrics": SLA_METRICS_SCHEMA,
            "ownership": OWNERSHIP_SCHEMA, "business_impact": BUSINESS_IMPACT_SCHEMA}


@dataclass(frozen=True)
class GenerateResult:
    """What ``generate`` wrote."""

    out: Path
    row_counts: dict[str, int]
    seed: int = 0
    start: date | None = None
    end: date | None = None
    teams: int = 1
    technicians: int = 0
    files: tuple[Path, ...] = field(default_factory=tuple)
    sla_policy: str = ""  # the name of the SLA policy sla_metrics used (file POLICY_FILE)

    @property
    def manifest(self) -> Path:
        return self.out / "manifest.json"

    @property
    def sla_policy_file(self) -> Path:
        return self.out / POLICY_FILE


def generate(
    out: str | Path,
    *,
    tickets: int | None = None,
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
    seed: int | None = None,
    config: str | Path | Mapping[str, Any] | DeskConfig | None = None,
    preset: str | None = None,
    formats: Sequence[str] = ("csv",),
    progress: bool = False,
) -> GenerateResult:
    """Simulate a service desk and write its event log and linked tables into ``out``.

    ``tickets``, ``start``/``end`` (dates, end inclusive) and ``seed`` override the desk
    configuration (``config``: a desk TOML path, a mapping of the same shape, or a
    ``DeskConfig``; default: the shipped ``desk.toml``), over the shipped desk ``preset`` if
    given ("healthy", "struggling", "failing": the same desk with more or less staff for its
    load). ``formats`` is any of "csv" and
    "parquet". The same seed and configuration give byte-identical files. Everything is written
    to a temporary folder first and moved to ``out`` at the end; an earlier generated desk in
    ``out`` is replaced, any other non-empty folder is refused. ``sla_metrics`` is measured
    with the desk's SLA policy (``sla_policy.desk_policy``), written as ``sla-policy.toml``
    and named in the manifest.
    """
    formats = _formats(formats)
    desk = load_config(config, preset).with_overrides(tickets=tickets, start=start, end=end, seed=seed)
    out = Path(out)
    check_space(out, desk.window.tickets, formats)
    sim = prepare(desk)
    policy = desk_policy(desk)
    with StagedFolder(out, check=check_destination) as staged:
        sinks = {name: TableSink(staged.path, name, _SCHEMAS[name], formats,
                                 quoting=_quoting(sim) if name == "events" else "needed")
                 for name in TABLES}
        try:
            _write_chunks(sim, policy, sinks, progress)
        finally:
            for sink in sinks.values():
                sink.close()
        counts = {name: sinks[name].rows for name in TABLES}
        (staged.path / POLICY_FILE).write_text(policy.toml, encoding="utf-8")
        write_manifest(staged.path, _manifest(sim, policy, formats, counts, preset))
        staged.commit()
    files = tuple(out / f"{name}.{fmt}" for name in TABLES for fmt in formats)
    return GenerateResult(out=out, row_counts=counts, seed=desk.window.seed,
                          start=desk.window.start, end=desk.window.end, teams=sim.roster.teams,
                          technicians=len(sim.roster.names), files=files,
                          sla_policy=policy.policy.name)


def _quoting(sim: Simulation) -> str:
    """The event log is written bare, like the brief's CSV, unless some text in it (a
    configured technician's name, say) holds a comma, a quote or a line break."""
    texts = (*sim.roster.names, *NOTE_POOL.strings, *ACTIVITIES, *PRIORITIES, *CATEGORIES,
             *DEPARTMENTS, UNASSIGNED)
    special = any(c in text for text in texts for c in ',"\n\r')
    return "needed" if special else "none"


def _write_chunks(sim: Simulation, policy: DeskPolicy, sinks: dict[str, TableSink],
                  progress: bool) -> None:
    as_of = _window_end(sim)
    next_event = 1
    with Display(progress) as display:
        advance = display.task("generating tickets", sim.config.window.tickets,
                               unit="count").advance
        for chunk in run(sim):
            interrupt.check()
            if not chunk.tickets:  # an empty window: headers only
                continue
            facts = ticket_facts(chunk)
            events = events_table(sim, chunk, facts, next_event)
            next_event += events.num_rows
            tickets = tickets_table(sim, chunk, facts)
            sinks["events"].write(events)
            sinks["tickets"].write(tickets)
            sinks["sla_metrics"].write(sla_metrics(events, tickets, as_of=as_of,
                                                   policy=policy.policy,
                                                   timezone=sim.config.window.timezone))
            sinks["ownership"].write(ownership_table(sim, chunk, facts))
            sinks["business_impact"].write(business_impact_table(sim, chunk, facts, tickets))
            advance(chunk.tickets)


def _window_end(sim: Simulation) -> datetime:
    """The naive instant the window ends (midnight after its last day): nothing later is
    written, and open tickets' SLA clocks run until it."""
    return datetime(1970, 1, 1) + timedelta(seconds=sim.window_end)


def _formats(formats: Sequence[str] | str) -> tuple[str, ...]:
    items = [formats] if isinstance(formats, str) else list(formats)
    chosen = [f.strip().lower() for item in items for f in str(item).split(",") if f.strip()]
    unknown = sorted(set(chosen) - set(FORMATS))
    if unknown or not chosen:
        raise ConfigError(f"--format {','.join(items)}: unknown format(s) "
                          f"{', '.join(unknown) or '(none given)'}; use csv, parquet or csv,parquet")
    return tuple(f for f in FORMATS if f in chosen)


def _manifest(sim: Simulation, policy: DeskPolicy, formats: tuple[str, ...],
              counts: dict[str, int], preset: str | None) -> dict[str, Any]:
    from ticketlens.core.version import VERSION

    desk = sim.config
    return {
        "generator": "ticketlens",
        "version": VERSION,
        "schema_version": SCHEMA_VERSION,
        "seed": desk.window.seed,
        "window": {"start": desk.window.start.isoformat(), "end": desk.window.end.isoformat(),
                   "end_inclusive": True},
        "timezone": desk.window.timezone,
        "timestamps": f"naive wall-clock time in {desk.window.timezone}, YYYY-MM-DD HH:MM:SS",
        "desk": {"teams": sim.roster.teams, "technicians": len(sim.roster.names),
                 "chunks": sim.chunks},
        "roster": [{"name": name, "tier": sim.config.technicians[i % sim.roster.size].tier,
                    "team": sim.roster.team_name[i % sim.roster.size],
                    "desk_team": i // sim.roster.size,
                    "skills": [category for category, _ in
                               sim.config.technicians[i % sim.roster.size].skills]}
                   for i, name in enumerate(sim.roster.names)],
        "formats": list(formats),
        "files": {name: [f"{name}.{fmt}" for fmt in formats] for name in TABLES},
        "row_counts": counts,
        "preset": preset,
        # what sla_metrics was measured with; ingest keeps the file, `ticketlens sla` uses both
        "sla_policy": {"name": policy.policy.name, "file": POLICY_FILE,
                       "preset": PRESET, "fingerprint": policy.policy.fingerprint,
                       "as_of": _window_end(sim).strftime("%Y-%m-%d %H:%M:%S")},
        "config_source": Path(desk.source).name if desk.source else "",
        "config_sha256": desk.source_sha256,
        "config": desk.to_dict() | {"source": None, "source_sha256": None},
    }
