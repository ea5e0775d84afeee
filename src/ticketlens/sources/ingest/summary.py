"""Result types of ``ingest`` and ``info``: plain frozen dataclasses with a JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ticketlens.core.jsonable import jsonable as _jsonable


@dataclass(frozen=True)
class SourceSummary:
    """What happened to one input path.

    Row accounting (always true): ``rows_read = rows_loaded + rows_quarantined + rows_deduped
    + rows_already_present``. ``rows_deduped`` is non-zero only with ``dedupe=True``;
    ``rows_already_present`` only when a newer export of a known source is ingested. For a
    ticket table a row is a ticket (and may give 0..n events); for every other format a row is
    an event.
    """

    path: str
    name: str
    format: str
    detected: str
    mapping: str | None
    status: str  # loaded | updated | unchanged
    source_id: int | None
    tz: str
    tz_origin: str
    timestamp_format: str | None
    timestamp_evidence: str | None
    line_numbers: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_deduped: int
    rows_already_present: int
    events_loaded: int
    cases: int
    duplicate_events: int
    out_of_order_events: int
    out_of_order_cases: int
    implausible: dict[str, int]
    implausible_examples: list[dict[str, Any]]
    case_attributes: int
    merged_tickets: int
    first_timestamp: datetime | None
    last_timestamp: datetime | None
    quarantine_reasons: dict[str, int]
    warnings: list[str]
    details: dict[str, Any] = field(default_factory=dict)
    # Per ticket of this export, against earlier exports of the same source (same name or
    # kind): added, replaced (its history now is this export's), unchanged, kept (a newer
    # export holds it). events_removed: held events a replacing export no longer has.
    tickets: dict[str, int] = field(default_factory=dict)
    events_removed: int = 0
    export_time: datetime | None = None  # the newest plausible event timestamp it holds

    @property
    def balanced(self) -> bool:
        return self.rows_read == (self.rows_loaded + self.rows_quarantined + self.rows_deduped
                                  + self.rows_already_present)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self) | {"balanced": self.balanced})


@dataclass(frozen=True)
class IngestSummary:
    """The result of one ``ingest`` call (one transaction over all its paths)."""

    db: str
    sources: tuple[SourceSummary, ...]
    quarantine_file: str | None
    workspace_events: int
    workspace_cases: int
    seconds: float
    # the roster file attached and the tiers re-inferred (workspace/roster.py); None: unchanged
    roster: dict[str, Any] | None = None

    def _total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.sources)

    @property
    def rows_read(self) -> int:
        return self._total("rows_read")

    @property
    def rows_loaded(self) -> int:
        return self._total("rows_loaded")

    @property
    def rows_quarantined(self) -> int:
        return self._total("rows_quarantined")

    @property
    def rows_deduped(self) -> int:
        return self._total("rows_deduped")

    @property
    def rows_already_present(self) -> int:
        return self._total("rows_already_present")

    @property
    def events_loaded(self) -> int:
        return self._total("events_loaded")

    @property
    def balanced(self) -> bool:
        return all(s.balanced for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        totals = {name: self._total(name) for name in (
            "rows_read", "rows_loaded", "rows_quarantined", "rows_deduped",
            "rows_already_present", "events_loaded", "duplicate_events", "out_of_order_events")}
        return _jsonable({
            "db": self.db,
            "totals": totals,
            "balanced": self.balanced,
            "quarantine_file": self.quarantine_file,
            "workspace": {"events": self.workspace_events, "cases": self.workspace_cases},
            "seconds": round(self.seconds, 3),
            "sources": [s.to_dict() for s in self.sources],
            "roster": self.roster,
        })
