"""Issue 10 §3: every user mistake is one clear line and exit code 2, never "internal error".

Each case here ended as "internal error …" (exit 1) or a traceback before its fix.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ticketlens.cli import cli


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _one_error_line(code: int, out: str) -> str:
    assert code == 2, out
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    assert "internal error" not in out
    return lines[0]


# --- damaged gzip ----------------------------------------------------------------------------

def _damaged(data: bytes) -> dict[str, bytes]:
    flipped = bytearray(data)
    flipped[200] ^= 0x55  # inside the first deflate block: zlib "invalid distance"
    header = bytearray(data)
    header[2] ^= 0x55  # the compression method byte: BadGzipFile
    return {"truncated-header": data[:10], "truncated": data[: len(data) // 2],
            "zlib-error": bytes(flipped), "bad-method": bytes(header),
            "trailing-garbage": data + b"garbage", "bad-crc": data[:-8] + b"\0\0\0\0" + data[-4:]}


@pytest.mark.parametrize("damage", ["truncated-header", "truncated", "zlib-error", "bad-method",
                                    "trailing-garbage", "bad-crc"])
@pytest.mark.parametrize("name", ["helpdesk.xes.gz", "helpdesk.csv.gz"])
def test_damaged_gzip_is_one_line(real_data: Path, tmp_path: Path, name: str,
                                  damage: str) -> None:
    if name == "helpdesk.xes.gz":
        data = (real_data / name).read_bytes()
    else:  # a small gzipped CSV: the header peek reads the whole stream
        data = gzip.compress((real_data / "helpdesk.csv").read_bytes()[:200_000], mtime=0)
    path = tmp_path / name
    path.write_bytes(_damaged(data)[damage])
    db = tmp_path / "w.duckdb"
    line = _one_error_line(*_run("ingest", str(path), "--db", str(db)))
    assert line.startswith(f"error: {path}: cannot read (corrupt or truncated gzip?): ")
    assert not db.exists()


# --- instants outside years 1-9999 in UTC ------------------------------------------------------

EDGE_LOG = """ticket_id,activity,timestamp,priority
A,Ticket Created,2024-01-01T10:00:00Z,Low
A,Ticket Resolved,9999-12-31T23:30:00-05:00,Low
B,Ticket Created,0001-01-01T00:10:00+01:00,High
B,Ticket Resolved,2024-01-02T00:00:00Z,High
C,Ticket Created,9999-12-30T10:00:00Z,Low
D,Ticket Created,2024-01-01T10:00:00Z,Medium
D,Ticket Resolved,2024-01-03T10:00:00Z,Medium
"""
EDGE_FLAGS = ("--case", "ticket_id", "--activity", "activity", "--timestamp", "timestamp",
              "--priority", "priority")


def test_instants_outside_years_1_to_9999_are_quarantined(tmp_path: Path) -> None:
    log = tmp_path / "edge.csv"
    log.write_text(EDGE_LOG)
    db = tmp_path / "w.duckdb"
    code, out = _run("ingest", str(log), "--db", str(db), *EDGE_FLAGS, "--json")
    assert code == 0, out
    source = json.loads(out)["sources"][0]
    assert (source["rows_read"], source["rows_loaded"], source["rows_quarantined"]) == (7, 5, 2)
    assert source["quarantine_reasons"] == {
        "timestamp outside years 1-9999 once converted to UTC": 2}
    quarantine = (tmp_path / "w.quarantine.csv").read_text().splitlines()
    assert quarantine[1:] == [
        f"{log},3,timestamp,10000-01-01 04:30:00+00,"
        "timestamp outside years 1-9999 once converted to UTC",
        f"{log},4,timestamp,0001-12-31 (BC) 23:10:00+00,"
        "timestamp outside years 1-9999 once converted to UTC"]


def test_sla_and_kpi_run_on_instants_at_years_1_and_9999(tmp_path: Path) -> None:
    """What ingest loads (years 1 and 9999 in UTC) the clocks take: business calendars laid out
    over ten thousand years, a deadline past 9999 stored as NULL."""
    log = tmp_path / "edge.csv"
    log.write_text(EDGE_LOG.replace("-05:00", "Z").replace("+01:00", "Z"))
    db = tmp_path / "w.duckdb"
    code, out = _run("ingest", str(log), "--db", str(db), *EDGE_FLAGS)
    assert code == 0, out
    facts = tmp_path / "facts.csv"
    code, out = _run("sla", "--db", str(db), "--policy", "standard", "--out", str(facts))
    assert code == 0, out
    import pandas as pd

    table = pd.read_csv(facts).set_index("ticket_id")
    # C: Low, opened 9999-12-30 10:00 (a Thursday): 8 business hours of response target end
    # the next working day; its 72 h resolution deadline lies past year 9999
    assert table.loc["C", "response_due_at"] == "9999-12-30 18:00:00+00:00"
    assert table.loc["C", "resolution_status"] == "running"
    assert pd.isna(table.loc["C", "resolution_due_at"])
    assert table.loc["D", "resolution_business_s"] == 18 * 3600


def test_kpi_runs_on_deadlines_past_year_9999(tmp_path: Path) -> None:
    # (kpi's daily tables span the data: ten thousand years of days would take minutes)
    log = tmp_path / "late.csv"
    log.write_text("\n".join(line for line in EDGE_LOG.replace("-05:00", "Z").splitlines()
                             if line.startswith(("ticket_id", "A,Ticket Res", "C,"))))
    db = tmp_path / "w.duckdb"
    code, out = _run("ingest", str(log), "--db", str(db), *EDGE_FLAGS)
    assert code == 0, out
    code, out = _run("kpi", "--db", str(db), "--policy", "standard", "--json")
    assert code == 0, out
    assert json.loads(out)["as_of"] == "9999-12-31T23:30:00+00:00"


# --- a header field over csv's 128 KiB limit ----------------------------------------------------

@pytest.mark.parametrize("quoted", [False, True])
def test_header_field_over_128_kib(tmp_path: Path, quoted: bool) -> None:
    big = "x" * 140_000
    path = tmp_path / "wide.csv"
    path.write_text(f"case,activity,timestamp,{chr(34) + big + chr(34) if quoted else big}\n"
                    "A,Open,2024-01-01T10:00:00Z,1\n")
    line = _one_error_line(*_run("ingest", str(path), "--db", str(tmp_path / "w.duckdb")))
    assert line == (f"error: {path}: the header line cannot be read as column names (field "
                    "larger than field limit (131072)): is the first line a header? (check "
                    "--delimiter and the quoting)")


# --- names over 255 bytes -----------------------------------------------------------------------

LONG = "a" * 300


def test_input_name_over_255_bytes(tmp_path: Path) -> None:
    path = tmp_path / f"{LONG}.csv"
    line = _one_error_line(*_run("ingest", str(path), "--db", str(tmp_path / "w.duckdb")))
    assert line == f"error: cannot use {path}: File name too long"


@pytest.mark.parametrize("verb", ["ingest", "info", "sla", "kpi"])
@pytest.mark.parametrize("length", [245, 300])
def test_db_name_too_long(real_data: Path, tmp_path: Path, verb: str, length: int) -> None:
    """Over 255 bytes, or too long for DuckDB's '<name>.wal' (which failed only at commit)."""
    db = tmp_path / f"{'a' * length}.duckdb"
    args = [verb, str(real_data / "helpdesk.csv")] if verb == "ingest" else [verb]
    line = _one_error_line(*_run(*args, "--db", str(db)))
    assert line == (f"error: workspace name too long: {'a' * 40}… is {length + 7} bytes; DuckDB "
                    "adds '.wal' and this file system allows 255: choose a shorter --db name")
    assert list(tmp_path.iterdir()) == []


# --- --out where nothing can be written ----------------------------------------------------------

@pytest.fixture(scope="module")
def helpdesk_ws(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("ws") / "w.duckdb"
    code, out = _run("ingest", str(real_data / "helpdesk.csv"), "--db", str(db))
    assert code == 0, out
    return db


@pytest.mark.parametrize(("args", "named"), [
    (["mine", "variants", "--out", "/proc/ticketlens-out"], "/proc/ticketlens-out"),
    (["mine", "dfg", "--out", "/proc/ticketlens-out/sub"], "/proc/ticketlens-out/sub"),
    (["kpi", "--out", "/proc/ticketlens-out"], "/proc/ticketlens-out"),
    (["sla", "--out", "/proc/ticketlens-out.csv"], "/proc/ticketlens-out.csv"),
    (["mine", "export", "--out", "/sys/ticketlens.xes"], "/sys/ticketlens.xes"),
])
def test_out_into_an_unwritable_place_names_the_users_path(
        helpdesk_ws: Path, args: list[str], named: str) -> None:
    line = _one_error_line(*_run(*args, "--db", str(helpdesk_ws)))
    assert line.startswith(f"error: cannot write {named}: "), line
    assert "/." not in line  # never a temporary file's name


def test_demo_and_quarantine_into_proc(tmp_path: Path) -> None:
    line = _one_error_line(*_run("demo", "--out", "/proc/ticketlens-demo"))
    assert line == "error: cannot write /proc/ticketlens-demo: No such file or directory"
    log = tmp_path / "edge.csv"
    log.write_text(EDGE_LOG)  # two rows are quarantined
    db = tmp_path / "w.duckdb"
    line = _one_error_line(*_run("ingest", str(log), "--db", str(db), *EDGE_FLAGS,
                                 "--quarantine", "/proc/ticketlens-q/q.csv"))
    assert line == "error: cannot write /proc/ticketlens-q: No such file or directory"
    assert not db.exists()  # nothing left behind


# --- latin-1 TOML ---------------------------------------------------------------------------------

def test_latin1_toml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "latin1.toml"
    toml.write_bytes('name = "café"\n'.encode("latin-1"))
    expected = (f"error: {toml}: not UTF-8 (byte 0xe9 on line 1): TOML files must be UTF-8; "
                "save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
    log = tmp_path / "edge.csv"
    log.write_text(EDGE_LOG)
    db = str(tmp_path / "w.duckdb")
    assert _run("ingest", str(log), "--db", db, *EDGE_FLAGS)[0] == 0
    for args in (["sla", "--db", db, "--policy", str(toml)],
                 ["ingest", str(log), "--db", db, *EDGE_FLAGS, "--roles", str(toml)],
                 ["ingest", str(log), "--db", db, "--map", str(toml)],
                 ["generate", "--config", str(toml), "--out", str(tmp_path / "desk")]):
        assert _one_error_line(*_run(*args)) == expected, args


# --- UTF-16 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("codec", "flags"), [("utf-16", ()), ("utf-16-be", ()),
                                              ("utf-16-le", ("--encoding", "utf-16"))])
def test_utf16_is_read(real_data: Path, tmp_path: Path, codec: str, flags: tuple[str, ...]) -> None:
    """With a byte-order mark (either order), or little-endian without one and --encoding."""
    text = (real_data / "helpdesk.csv").read_text(encoding="utf-8")[:300_000]
    text = text[: text.rindex("\n") + 1]
    path = tmp_path / "h16.csv"
    bom = b"\xfe\xff" if codec == "utf-16-be" else b""
    path.write_bytes(bom + text.encode(codec))
    db = tmp_path / "w.duckdb"
    code, out = _run("ingest", str(path), "--db", str(db), *flags, "--json")
    assert code == 0, out
    source = json.loads(out)["sources"][0]
    rows = text.count("\n") - 1
    assert (source["rows_read"], source["rows_loaded"], source["events_loaded"]) == (
        rows, rows, rows) == (1_974, 1_974, 1_974)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h16.csv", "w.duckdb"]


def test_utf16_quarantine_names_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "q16.csv"
    path.write_bytes('case,activity,timestamp\nA,Öffnen,2024-01-01T10:00:00Z\n'
                     '"B","multi\nline",2024-01-01T11:00:00Z\nC,Open,2024-01-01T10:00:00Z,extra\n'
                     'D,Open,2024-01-02T10:00:00Z\n'.encode("utf-16"))
    code, out = _run("ingest", str(path), "--db", str(tmp_path / "w.duckdb"), "--case", "case",
                     "--activity", "activity", "--timestamp", "timestamp", "--json")
    assert code == 0, out
    source = json.loads(out)["sources"][0]
    assert (source["rows_read"], source["rows_loaded"], source["rows_quarantined"]) == (4, 3, 1)
    assert (tmp_path / "w.quarantine.csv").read_text().splitlines()[1].startswith(
        f'{path},5,,"C,Open,2024-01-01T10:00:00Z,extra"')


def test_damaged_utf16_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad16.csv"
    path.write_bytes("case,activity\nA,B\n".encode("utf-16")[:-1])
    line = _one_error_line(*_run("ingest", str(path), "--db", str(tmp_path / "w.duckdb")))
    assert line.startswith(f"error: {path}: not valid UTF-16 (")


def test_delimiter_of_two_characters(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "helpdesk.csv"
    line = _one_error_line(*_run("ingest", str(path), "--db", str(tmp_path / "w.duckdb"),
                                 "--delimiter", ";;"))
    assert line == (f"error: {path}: the delimiter must be one character, got ';;' "
                    "(a tab: --delimiter $'\\t')")


def test_sla_as_of_the_last_day_of_9999(helpdesk_ws: Path) -> None:
    """Open clocks run to the as-of instant: business calendars laid out to year 9999."""
    code, out = _run("sla", "--db", str(helpdesk_ws), "--policy", "standard", "--as-of",
                     "9999-12-31", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["tickets"] == 4_580
    assert data["as_of"] == "9999-12-31T00:00:00+00:00"
    # the same tickets stopped and open as at the log's last event (the default as-of)
    assert [(r["metric"], r["stopped"], r["open"], r["excluded_no_creation"])
            for r in data["summary"]] == [("response", 4_502, 0, 78), ("resolution", 4_490, 12, 78)]
