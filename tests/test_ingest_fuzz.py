"""Seeded mutations of the shared real files through `ticketlens ingest` (issue 10, "Done when").

Each case takes a small slice of a real export (the four CSVs, the Helpdesk XES), damages it
the way files get damaged — truncation, flipped bytes, a stray quote, an inserted carriage
return or newline, a dropped or repeated line, a huge field, another encoding, gzip (whole or
cut short), and for XES an event nested in an event, an event outside any trace, a lost end
tag — and runs the command in-process. Whatever the bytes:

* the exit code is 0 or 2 (never an internal error, 1);
* a refusal is exactly one output line, starting with ``error:``;
* a load balances: rows read = loaded + quarantined (+ deduped + already present);
* physical lines are accounted for: every record Python's csv module finds in the bytes is a
  loaded or quarantined row on its line, and no record that swallowed whole rows was loaded
  or quarantined as one; every XES ``<event>`` tag is a row read.

A case's seed names it: ``pytest tests/test_ingest_fuzz.py -k 'csv-helpdesk-17'`` runs it again.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from conftest import REAL_DATA
from ticketlens.cli import cli

CSV_SOURCES = {  # file: data rows in the slice, cases
    "helpdesk": ("helpdesk.csv", 40, 50),
    "bpic2013": ("bpic2013_closed_problems.csv", 40, 40),
    "customer_support": ("customer_support_tickets.csv", 12, 30),
    "servicenow": ("servicenow_incidents_sample.csv", 30, 25),  # the slowest to ingest
}
XES_CASES = 60
EVENT_TAG = re.compile(rb"<event[\s>/]")

@dataclass(frozen=True)
class Case:
    name: str
    suffix: str
    data: bytes
    mutation: str


def _slice_csv(name: str, rows: int) -> bytes:
    """The header and the first ``rows`` records (whole records: a quoted field may span lines)."""
    with (REAL_DATA / name).open("rb") as fh:
        head = fh.read(400_000)
    text = head.decode("latin-1")
    out, quoted, records, start = [], False, 0, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and not quoted:
            out.append(text[start:i + 1])
            start = i + 1
            records += 1
            if records > rows:
                break
    return "".join(out).encode("latin-1")


def _slice_xes(traces: int) -> bytes:
    with gzip.open(REAL_DATA / "helpdesk.xes.gz", "rb") as fh:
        text = fh.read(600_000)
    end = 0
    for _ in range(traces):
        end = text.index(b"</trace>", end) + len(b"</trace>")
    return text[:end] + b"\n</log>\n"


def _mutate_csv(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    lines = data.splitlines(keepends=True)
    pick = rng.randrange(len(lines))
    at = rng.randrange(len(data))
    kind = rng.choice(["truncate", "flip", "stray-quote", "field-quote", "cr", "newline",
                       "drop-line", "repeat-line", "huge-field", "delimiter", "latin-1",
                       "utf-16", "gzip", "gzip-cut", "nul", "two-quotes"])
    if kind == "truncate":
        return data[:at], f"{kind}@{at}"
    if kind == "flip":
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            spot = rng.randrange(len(flipped))
            flipped[spot] ^= 1 << rng.randrange(8)
        return bytes(flipped), kind
    if kind in ("stray-quote", "cr", "newline", "delimiter", "nul"):
        byte = {"stray-quote": b'"', "cr": b"\r", "newline": b"\n", "delimiter": b",",
                "nul": b"\x00"}[kind]
        return data[:at] + byte + data[at:], f"{kind}@{at}"
    if kind in ("field-quote", "two-quotes"):
        for _ in range(1 if kind == "field-quote" else 2):
            pick = rng.randrange(1, len(lines))
            cut = lines[pick].find(b",") + 1
            lines[pick] = lines[pick][:cut] + b'"' + lines[pick][cut:]
        return b"".join(lines), kind
    if kind == "drop-line":
        return b"".join(lines[:pick] + lines[pick + 1:]), f"{kind}@{pick}"
    if kind == "repeat-line":
        return b"".join(lines[:pick + 1] + lines[pick:]), f"{kind}@{pick}"
    if kind == "huge-field":
        pick = rng.randrange(1, len(lines))
        cut = lines[pick].rfind(b",") + 1
        lines[pick] = lines[pick][:cut] + b"x" * 200_000 + lines[pick][cut:]
        return b"".join(lines), kind
    text = data.decode("utf-8", errors="replace")
    if kind == "latin-1":
        text = text.replace("e", "é", rng.randint(1, 20))
        return text.encode("latin-1", errors="replace"), kind
    if kind == "utf-16":
        return text.encode("utf-16"), kind
    packed = gzip.compress(data, mtime=0)
    if kind == "gzip":
        return packed, kind
    cut = rng.randrange(10, len(packed) - 1)
    return packed[:cut], f"{kind}@{cut}"


def _mutate_xes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    events = [m.start() for m in re.finditer(rb"<event>", data)]
    at = rng.choice(events)
    kind = rng.choice(["nest", "orphan", "orphan-end", "drop-end-tag", "truncate", "flip",
                       "gzip", "gzip-cut", "no-timestamp", "bad-timestamp"])
    orphan = (b'<event><string key="concept:name" value="Stray"/>'
              b'<date key="time:timestamp" value="2012-01-01T00:00:00+00:00"/></event>\n')
    if kind == "nest":
        inside = data.index(b"\n", at) + 1
        return data[:inside] + orphan + data[inside:], f"{kind}@{at}"
    if kind == "orphan":
        first = data.index(b"<trace>")
        return data[:first] + orphan + data[first:], kind
    if kind == "orphan-end":
        end = data.rindex(b"</log>")
        return data[:end] + orphan + data[end:], kind
    if kind == "drop-end-tag":
        end = data.index(b"</event>", at)
        return data[:end] + data[end + len(b"</event>"):], f"{kind}@{end}"
    if kind == "truncate":
        cut = rng.randrange(len(data))
        return data[:cut], f"{kind}@{cut}"
    if kind == "flip":
        flipped = bytearray(data)
        spot = rng.randrange(len(flipped))
        flipped[spot] ^= 1 << rng.randrange(8)
        return bytes(flipped), f"{kind}@{spot}"
    if kind in ("no-timestamp", "bad-timestamp"):
        stamp = data.index(b'key="time:timestamp"', at)
        value = data.index(b'value="', stamp) + len(b'value="')
        close = data.index(b'"', value)
        new = b"" if kind == "no-timestamp" else b"yesterday"
        return data[:value] + new + data[close:], f"{kind}@{at}"
    packed = gzip.compress(data, mtime=0)
    if kind == "gzip":
        return packed, kind
    cut = rng.randrange(10, len(packed) - 1)
    return packed[:cut], f"{kind}@{cut}"


def _cases() -> list[Case]:
    if not REAL_DATA.is_dir():
        return []
    cases = []
    for source, (name, rows, count) in CSV_SOURCES.items():
        original = _slice_csv(name, rows)
        for seed in range(count):
            data, mutation = _mutate_csv(original, random.Random(f"{source}-{seed}"))
            cases.append(Case(f"csv-{source}-{seed}", ".csv", data, mutation))
    original = _slice_xes(12)
    for seed in range(XES_CASES):
        data, mutation = _mutate_xes(original, random.Random(f"xes-{seed}"))
        cases.append(Case(f"xes-{seed}", ".xes", data, mutation))
    return cases


def _params() -> list:
    params = []
    for case in _cases():
        params.append(pytest.param(case, id=case.name))
    return params or [pytest.param(None, marks=pytest.mark.skip(reason="no real data"))]


@pytest.mark.parametrize("case", _params())
def test_mutated_real_file_loads_balanced_or_is_refused_in_one_line(
    case: Case, tmp_path: Path
) -> None:
    path = tmp_path / f"in{case.suffix}"
    path.write_bytes(case.data)
    db = tmp_path / "ws.duckdb"
    result = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db), "--json"])
    where = f"{case.name} ({case.mutation})"
    assert result.exit_code in (0, 2), f"{where}: exit {result.exit_code}: {result.output}"
    if result.exit_code == 2:
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), f"{where}: {result.output}"
        return
    summary = json.loads(result.output)
    source = summary["sources"][0]
    assert summary["balanced"] and source["rows_read"] == (
        source["rows_loaded"] + source["rows_quarantined"] + source["rows_deduped"]
        + source["rows_already_present"]), where
    with duckdb.connect(str(db), read_only=True) as con:
        loaded = {r[0] for r in con.execute("SELECT source_row FROM events").fetchall()}
        quarantined = {r[0] for r in con.execute("SELECT line FROM quarantine").fetchall()}
    if case.suffix == ".xes":
        plain = gzip.decompress(case.data) if case.data[:2] == b"\x1f\x8b" else case.data
        assert source["rows_read"] == len(EVENT_TAG.findall(plain)), where
        return
    _check_csv_lines(case, source, loaded, quarantined)


def _check_csv_lines(case: Case, source: dict, loaded: set[int], quarantined: set[int]) -> None:
    """Physical lines accounted for, against Python's csv module as the reference reader."""
    where = f"{case.name} ({case.mutation})"
    data = gzip.decompress(case.data) if case.data[:2] == b"\x1f\x8b" else case.data
    if b"\x00" in data or b"\r" in data:
        # Python's csv refuses NUL and reads a bare \r as a line end (ingest refuses an
        # unquoted one and keeps a quoted one): no reference then
        return
    reader = csv.reader(io.StringIO(data.decode("latin-1"), newline=""))
    records: list[tuple[int, int, list[str]]] = []  # first line, last line, fields
    last = 0
    try:
        for row in reader:
            if row:
                records.append((last + 1, reader.line_num, row))
            last = reader.line_num
    except csv.Error:
        return
    header_fields = len(records[0][2])
    lines = data.decode("latin-1").split("\n")
    for first, end, _ in records[1:]:
        inner = lines[first:end]  # the lines after the record's first
        swallowed = [text for text in inner if text.count(",") >= header_fields - 1]
        assert not swallowed, f"{where}: the record on line {first} swallowed line(s) " \
                              f"{first + 1}-{end} and was {source['status']}"
    assert source["rows_read"] == len(records) - 1, where
    if source["line_numbers"] == "physical":
        starts = {first for first, _, _ in records[1:]}
        rows = loaded | quarantined
        assert rows <= starts, f"{where}: lines {sorted(rows - starts)[:5]} start no record"
        if source["format"] != "ticket-table":  # a ticket row without instants has no event
            assert rows == starts, f"{where}: lines {sorted(starts - rows)[:5]} missing"
