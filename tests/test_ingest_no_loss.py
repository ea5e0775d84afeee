"""Issue 10 §2, no silent loss: inputs that used to lose rows while reporting success.

Each case is refused with one clear line, or every row it held is counted (loaded or
quarantined with its line and reason).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import ticketlens
from ticketlens.cli import cli
from ticketlens.core.errors import InputError, WorkspaceError


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _helpdesk_slice(real_data: Path, rows: int) -> list[str]:
    with (real_data / "helpdesk.csv").open() as fh:
        return [next(fh) for _ in range(rows + 1)]


# --- --db must name a workspace ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv", "parquet", "empty", "text"])
def test_db_that_is_not_a_workspace_is_refused_by_every_verb(
    real_data: Path, tmp_path: Path, kind: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("".join(_helpdesk_slice(real_data, 150)))
    target = tmp_path / f"other.{kind}"
    if kind == "csv":
        target.write_bytes(source.read_bytes())
    elif kind == "parquet":
        duckdb.sql("SELECT 1 AS a").write_parquet(str(target))
    elif kind == "empty":
        target.write_bytes(b"")
    else:
        target.write_text("notes\n")
    before = target.read_bytes()
    for args in (["ingest", str(source), "--db", str(target)], ["info", "--db", str(target)],
                 ["sla", "--db", str(target)], ["kpi", "--db", str(target)]):
        code, out = _run(*args)
        assert code == 2, (args, out)
        lines = out.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: --db {target} is not a "
                                                       "ticketlens workspace"), (args, out)
    assert target.read_bytes() == before  # nothing written into the user's file
    with pytest.raises(WorkspaceError, match="not a ticketlens workspace"):
        ticketlens.info(target)


def test_db_new_path_and_existing_workspace_still_work(real_data: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("".join(_helpdesk_slice(real_data, 150)))
    db = tmp_path / "ws.db"  # any name: the content decides
    assert _run("ingest", str(source), "--db", str(db))[0] == 0
    code, out = _run("info", "--db", str(db))
    assert code == 0 and "150" in out


# --- a stray quote must not swallow the rest of the file -----------------------------------

def test_stray_quote_opening_a_field_is_refused_with_its_line(
    real_data: Path, tmp_path: Path
) -> None:
    lines = _helpdesk_slice(real_data, 150)
    row = lines[28]  # physical line 29
    cut = row.index(",") + 1
    lines[28] = row[:cut] + '"' + row[cut:]
    path = tmp_path / "stray.csv"
    path.write_text("".join(lines))
    db = tmp_path / "ws.duckdb"
    # Before: "read 28 = loaded 27 + quarantined 1 ✓", 122 lines gone into one quarantine row.
    with pytest.raises(InputError, match=r"line 29 opens a quoted field that runs on to line "
                                         r"151: the 122 lines after it would be lost inside one row"):
        ticketlens.ingest(path, db=db)
    assert not db.exists()
    code, out = _run("ingest", str(path), "--db", str(db))
    assert code == 2 and len(out.strip().splitlines()) == 1


def test_two_stray_quotes_enclosing_rows_are_refused(real_data: Path, tmp_path: Path) -> None:
    lines = _helpdesk_slice(real_data, 60)
    for index in (10, 20):
        row = lines[index]
        cut = row.index(",") + 1
        lines[index] = row[:cut] + '"' + row[cut:]
    path = tmp_path / "two.csv"
    path.write_text("".join(lines))
    with pytest.raises(InputError, match=r"line 11 opens a quoted field that runs on to line 21"):
        ticketlens.ingest(path, db=tmp_path / "ws.duckdb")


def test_two_stray_quotes_in_one_column_no_longer_load_as_one_row(
    real_data: Path, tmp_path: Path
) -> None:
    """Before: "read 30 = loaded 30 ✓" for a 40-row file — lines 12-21 vanished inside the
    Activity field of line 11's event, which had exactly the header's field count."""
    lines = _helpdesk_slice(real_data, 40)
    row = lines[10]
    cut = row.index(",") + 1
    lines[10] = row[:cut] + '"' + row[cut:]  # opens the Activity field of line 11
    row = lines[20]
    cut = row.index(",", row.index(",") + 1)
    lines[20] = row[:cut] + '"' + row[cut:]  # closes the Activity field of line 21
    path = tmp_path / "pair.csv"
    path.write_text("".join(lines))
    with pytest.raises(InputError, match=r"line 11 opens a quoted field that runs on to line "
                                         r"21: the 10 lines after it would be lost inside one"):
        ticketlens.ingest(path, db=tmp_path / "ws.duckdb")


def test_a_quoted_multi_line_field_is_still_one_row(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('Case ID,Activity,Complete Timestamp,Resource\n'
                    'C1,"Open\nwith\nnotes",2024-01-01 10:00:00,a\n'
                    'C1,Close,2024-01-01 11:00:00,b\n')
    source = ticketlens.ingest(path, db=tmp_path / "ws.duckdb").sources[0]
    assert (source.rows_read, source.rows_loaded, source.line_numbers) == (2, 2, "physical")


@pytest.mark.parametrize("row", ["C1,Open,2024-01-01 10:00:00,a\rb\n",
                                 "C1,Op\ren,2024-01-01 10:00:00,a\n",
                                 "C1,Open,2024-01-01 10:00:00,ann\rC9,Open,2024-01-02 10:00:00,x\n"])
def test_bare_carriage_return_in_an_unquoted_field_is_refused(tmp_path: Path, row: str) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(("Case ID,Activity,Complete Timestamp,Resource\n"
                      "C0,Open,2024-01-01 09:00:00,z\n" + row
                      + "C2,Open,2024-01-01 10:00:00,b\n").encode())
    with pytest.raises(InputError, match=r"carriage return \(\\r\) inside an unquoted field, "
                                         r"first in the row on line 3"):
        ticketlens.ingest(path, db=tmp_path / "ws.duckdb")


def test_bare_carriage_return_before_a_quote_no_longer_loses_rows(
    real_data: Path, tmp_path: Path
) -> None:
    """Before: "read 5 = loaded 4 + quarantined 1 ✓" for a 10-row file (the parser ended the
    row at the \r, and the quote after it swallowed the next rows)."""
    lines = _helpdesk_slice(real_data, 10)
    row = lines[5]
    cut = row.index(",Value", row.index("Variant")) + 1
    lines[5] = row[:cut] + '\r"' + row[cut:]
    path = tmp_path / "cr.csv"
    path.write_bytes("".join(lines).encode())
    with pytest.raises(InputError, match=r"carriage return \(\\r\) inside an unquoted field, "
                                         r"first in the row on line 6"):
        ticketlens.ingest(path, db=tmp_path / "ws.duckdb")


def test_carriage_return_inside_a_quoted_field_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b'Case ID,Activity,Complete Timestamp,Resource\n'
                     b'C1,"Op\ren",2024-01-01 10:00:00,a\nC2,x,2024-01-01 10:00:00,b\n')
    source = ticketlens.ingest(path, db=tmp_path / "ws.duckdb").sources[0]
    assert (source.rows_read, source.rows_loaded) == (2, 2)


# --- XES events that are no event of a trace ------------------------------------------------

NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <event>
    <string key="concept:name" value="Before any trace"/>
    <date key="time:timestamp" value="2024-01-01T09:00:00Z"/>
  </event>
  <trace>
    <string key="concept:name" value="T1"/>
    <event>
      <string key="concept:name" value="Open"/>
      <event>
        <string key="concept:name" value="Inner"/>
        <date key="time:timestamp" value="2024-01-01T09:30:00Z"/>
      </event>
      <date key="time:timestamp" value="2024-01-01T10:00:00Z"/>
    </event>
    <event>
      <string key="concept:name" value="Close"/>
      <date key="time:timestamp" value="2024-01-01T12:00:00Z"/>
    </event>
  </trace>
</log>
"""


def test_xes_nested_and_orphan_events_are_counted_and_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(NESTED)
    db = tmp_path / "ws.duckdb"
    # Before: "read 2 = loaded 2 ✓" — the orphan vanished, and the nested event replaced its
    # parent ("Inner" loaded, "Open" lost).
    source = ticketlens.ingest(path, db=db).sources[0]
    assert (source.rows_read, source.rows_loaded, source.rows_quarantined) == (4, 2, 2)
    with duckdb.connect(str(db), read_only=True) as con:
        activities = con.execute("SELECT activity, source_row FROM events ORDER BY event_seq"
                                 ).fetchall()
        quarantine = con.execute('SELECT line, "column", reason FROM quarantine ORDER BY line'
                                 ).fetchall()
    assert activities == [("Open", 9), ("Close", 17)]
    assert quarantine == [
        (3, "event", "<event> outside any <trace>: it belongs to no ticket"),
        (11, "event", "<event> nested inside the <event> on line 9: XES events do not nest; "
                      "its attributes were not read"),
    ]
