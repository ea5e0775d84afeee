"""Export the workspace (or a segment of it) as an XES event log for ProM, Disco or pm4py.

The file follows IEEE 1849 (XES): one ``<trace>`` per ticket with its case attributes, one
``<event>`` per event with the standard ``concept:name``, ``time:timestamp`` and
``org:resource`` keys. A name ending ``.gz`` writes gzip (with a zero timestamp in its header, so
the same workspace gives byte-identical files). The export is streamed in batches and written
to a temporary file moved into place at the end: never a half-written log.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ticketlens.analyses.mine.source import event_log
from ticketlens.core.errors import AnalysisError, InputError
from ticketlens.core.files import atomic_file
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike
from ticketlens.workspace.sql import load_sql

_RESERVED = ("concept:name", "time:timestamp", "org:resource", "lifecycle:transition",
             "priority", "category", "department", "notes", "event_id")
_BATCH = 20_000
_HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
<global scope="trace">
<string key="concept:name" value="__INVALID__"/>
</global>
<global scope="event">
<string key="concept:name" value="__INVALID__"/>
<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
</global>
<classifier name="Activity" keys="concept:name"/>
<string key="concept:name" value="ticketlens export"/>
"""


def export_xes(
    db: WorkspaceLike,
    out: str | Path,
    *,
    segment: TicketFilter | None = None,
    progress: bool = False,
) -> Path:
    """Write the tickets of ``segment`` as XES to ``out`` (``.xes`` or ``.xes.gz``).

    Returns the path written.

    >>> export_xes("ws.duckdb", "tickets.xes.gz")  # doctest: +SKIP
    """
    out = Path(out)
    if not out.name.lower().endswith((".xes", ".xes.gz")):
        raise InputError(f"name the XES export .xes or .xes.gz, got {out}")
    with atomic_file(out) as temp, event_log(db, segment, progress=progress) as log:
        if log.is_empty:
            raise AnalysisError(f"no tickets match the filter ({log.segment.describe()}): "
                                "nothing to export")
        log.run_script("stg_xml.sql")
        with log.step("xes export"), _open(temp, out) as sink:
            sink.write(_HEADER.encode())
            result = log.con.execute(load_sql(__name__, "xes_traces.sql"), {"reserved": list(_RESERVED)})
            while rows := result.fetchmany(_BATCH):
                sink.write(("\n".join(row[0] for row in rows) + "\n").encode())
            sink.write(b"</log>\n")
    return out


@contextmanager
def _open(temp: Path, out: Path) -> Iterator[IO[bytes]]:
    with temp.open("wb") as raw:
        if not out.name.lower().endswith(".gz"):
            yield raw
            return
        # mtime=0 and no file name in the header: the same input gives the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=6) as packed:
            yield packed
