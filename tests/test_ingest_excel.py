"""Ingest of Excel workbooks: the same events and tickets as the CSV they were made from.

Every workbook is made here from a shared real CSV with openpyxl: once with every cell as text
(what a script writing the export produces), once as Excel itself would hold it after opening
the CSV (numbers as numbers, TRUE/FALSE as booleans, timestamps as date cells).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

import ticketlens
from ticketlens.cli import cli
from ticketlens.core.errors import InputError

SN = "servicenow_incidents_sample.csv"
SN_TIMES = ("opened_at", "sys_created_at", "sys_updated_at", "resolved_at", "closed_at")


def _rows(csv_path: Path) -> list[list[str]]:
    with csv_path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _typed(header: list[str], row: list[str], times: tuple[str, ...], fmt: str) -> list[Any]:
    """A row as Excel holds it after opening the CSV: numbers, booleans, date cells."""
    cells: list[Any] = []
    for name, value in zip(header, row, strict=True):
        if name in times and value not in ("", "?"):
            cells.append(datetime.strptime(value, fmt))
        elif value in ("TRUE", "FALSE"):
            cells.append(value == "TRUE")
        elif value.isdigit():
            cells.append(int(value))
        else:
            cells.append(value)
    return cells


def _workbook(path: Path, sheets: dict[str, list[list[Any]]], epoch_1904: bool = False) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    if epoch_1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        book.epoch = CALENDAR_MAC_1904
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _events(db: Path, attributes: bool = True) -> list[tuple]:
    columns = ('ticket_id, event_seq, "timestamp", activity, assigned_to, priority, category, '
               "department, notes, event_id")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(f"SELECT {columns}, attributes FROM events "
                           "ORDER BY ticket_id, event_seq").fetchall()
    if attributes:
        return rows
    return [(*row[:-1], {k: v for k, v in row[-1].items() if k not in SN_TIMES})
            for row in rows]


def _case_attributes(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT ticket_id, name, value FROM case_attributes "
                           "ORDER BY ALL").fetchall()


def _accounting(summary: ticketlens.IngestSummary) -> tuple:
    source = summary.sources[0]
    return (source.format, source.mapping, source.rows_read, source.rows_loaded,
            source.rows_quarantined, source.events_loaded, source.cases,
            source.details.get("derived_events"), source.details.get("incidents_made_sla_true"))


@pytest.fixture(scope="module")
def servicenow_csv(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("sn-csv") / "ws.duckdb"
    return ticketlens.ingest(real_data / SN, db=db), db


def test_servicenow_text_workbook_holds_the_same_events_as_the_csv(
        real_data: Path, tmp_path: Path, servicenow_csv) -> None:
    summary_csv, db_csv = servicenow_csv
    book = _workbook(tmp_path / "incidents.xlsx", {"Page 1": _rows(real_data / SN)})
    summary = ticketlens.ingest(book, db=tmp_path / "ws.duckdb")
    assert _accounting(summary) == _accounting(summary_csv)
    assert summary.sources[0].rows_read == 5_998
    assert "Excel workbook" in summary.sources[0].detected
    assert _events(tmp_path / "ws.duckdb") == _events(db_csv)
    assert _case_attributes(tmp_path / "ws.duckdb") == _case_attributes(db_csv)


def test_servicenow_typed_workbook_date_cells_become_the_same_instants(
        real_data: Path, tmp_path: Path, servicenow_csv) -> None:
    """Date cells carry no zone: read in --tz (default UTC) exactly as the CSV's naive text."""
    summary_csv, db_csv = servicenow_csv
    header, *rows = _rows(real_data / SN)
    typed = [header] + [_typed(header, r, SN_TIMES, "%d-%m-%Y %H:%M") for r in rows]
    assert isinstance(typed[1][header.index("sys_updated_at")], datetime)
    book = _workbook(tmp_path / "incidents.xlsx", {"Page 1": typed})
    summary = ticketlens.ingest(book, db=tmp_path / "ws.duckdb")
    assert _accounting(summary) == _accounting(summary_csv)
    assert summary.sources[0].tz_origin == "default"
    # The timestamp columns' text differs (ISO instead of day-first); everything else is equal.
    assert _events(tmp_path / "ws.duckdb", attributes=False) == _events(db_csv, False)
    assert _case_attributes(tmp_path / "ws.duckdb") == _case_attributes(db_csv)


def test_date_cells_follow_tz_like_naive_csv_text(real_data: Path, tmp_path: Path) -> None:
    header, *rows = _rows(real_data / "helpdesk.csv")
    rows = rows[:4_000]  # whole tickets' worth of the log; enough, and quick
    part = tmp_path / "helpdesk.csv"
    with part.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    typed = [header] + [_typed(header, r, ("Complete Timestamp",), "%Y/%m/%d %H:%M:%S.%f")
                        for r in rows]
    # 1904 date system (Excel for Mac): the serial numbers differ, the instants must not.
    book = _workbook(tmp_path / "helpdesk.xlsx", {"log": typed}, epoch_1904=True)
    ticketlens.ingest(part, db=tmp_path / "a.duckdb", tz="Europe/Rome")
    summary = ticketlens.ingest(book, db=tmp_path / "b.duckdb", tz="Europe/Rome")
    assert summary.sources[0].rows_loaded == 4_000
    assert summary.sources[0].mapping == "helpdesk"
    assert _events(tmp_path / "b.duckdb") == _events(tmp_path / "a.duckdb")


def test_ticket_table_workbook_keeps_multiline_text(real_data: Path, tmp_path: Path) -> None:
    name = "customer_support_tickets.csv"
    book = _workbook(tmp_path / "tickets.xlsx", {"Sheet1": _rows(real_data / name)})
    csv_summary = ticketlens.ingest(real_data / name, db=tmp_path / "a.duckdb")
    summary = ticketlens.ingest(book, db=tmp_path / "b.duckdb")
    assert _accounting(summary) == _accounting(csv_summary)
    assert summary.sources[0].details["order_inconsistencies"] == \
        csv_summary.sources[0].details["order_inconsistencies"]
    assert _events(tmp_path / "b.duckdb") == _events(tmp_path / "a.duckdb")
    assert _case_attributes(tmp_path / "b.duckdb") == _case_attributes(tmp_path / "a.duckdb")


def test_excel_named_csv_is_read_as_a_workbook(real_data: Path, tmp_path: Path) -> None:
    """Detected by content: before, this advised `--encoding latin-1`."""
    rows = _rows(real_data / "helpdesk.csv")[:200]
    book = _workbook(tmp_path / "export.xlsx", {"Sheet1": rows})
    renamed = book.rename(tmp_path / "export.csv")
    code, out = _cli("ingest", str(renamed), "--db", str(tmp_path / "ws.duckdb"))
    assert code == 0, out
    assert "latin-1" not in out
    assert "read 199 = loaded 199 + quarantined 0 ✓" in " ".join(out.split())


def test_sheet_by_name_or_index_and_a_missing_sheet_lists_them(real_data: Path,
                                                               tmp_path: Path) -> None:
    rows = _rows(real_data / "helpdesk.csv")
    book = _workbook(tmp_path / "two.xlsx", {"notes": [["exported by", "me"]],
                                             "log": rows[:101]})
    by_name = ticketlens.ingest(book, db=tmp_path / "a.duckdb", sheet="log")
    by_index = ticketlens.ingest(book, db=tmp_path / "b.duckdb", sheet=2)
    assert by_name.sources[0].rows_loaded == by_index.sources[0].rows_loaded == 100
    assert by_name.sources[0].details["sheet"] == "log"
    code, out = _cli("ingest", str(book), "--db", str(tmp_path / "c.duckdb"), "--sheet", "Log2")
    assert code == 2
    assert out.strip() == (f"error: {book}: no sheet 'Log2' in the workbook; its sheets: "
                           "1 'notes', 2 'log' (--sheet NAME or NUMBER)")
    assert not (tmp_path / "c.duckdb").exists()
    # The default is the first sheet, whose header here is no known layout.
    code, out = _cli("ingest", str(book), "--db", str(tmp_path / "c.duckdb"))
    assert code == 2 and "sheet 'notes'" in out and "--sheet" in out


def test_two_sheets_of_one_workbook_are_two_sources(real_data: Path, tmp_path: Path) -> None:
    header, *rows = _rows(real_data / "helpdesk.csv")
    book = _workbook(tmp_path / "split.xlsx", {"first": [header, *rows[:60]],
                                               "second": [header, *rows[60:100]]})
    db = tmp_path / "ws.duckdb"
    one = ticketlens.ingest(book, db=db, sheet="first")
    two = ticketlens.ingest(book, db=db, sheet="second")
    assert (one.sources[0].name, two.sources[0].name) == ("split.xlsx", "split.xlsx!second")
    # Both sheets are exports of one kind (docs/ingest.md "Overlapping exports"): Case 14 spans
    # them, and the first sheet's history of it is the newer, so the second's 2 rows are held.
    assert two.sources[0].status == "updated" and two.sources[0].tickets == {
        "added": 9, "replaced": 0, "unchanged": 0, "kept": 1}
    assert two.sources[0].rows_already_present == 2 and two.workspace_events == 98


def test_quarantined_rows_name_sheet_and_row(real_data: Path, tmp_path: Path) -> None:
    header, *rows = _rows(real_data / "helpdesk.csv")
    rows = [list(r) for r in rows[:20]]
    rows[6][header.index("Complete Timestamp")] = "not a time"
    # Two blank rows above the header, one empty row inside the data: sheet rows, not records.
    sheet = [[], [], header, *rows[:10], [], *rows[10:]]
    book = _workbook(tmp_path / "bad.xlsx", {"Export": sheet})
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(book, db=db)
    source = summary.sources[0]
    assert (source.rows_read, source.rows_loaded, source.rows_quarantined) == (20, 19, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        quarantined = con.execute('SELECT file, line, "column", value FROM quarantine').fetchall()
    # data row 7 sits on sheet row 3 (header) + 7 = 10
    assert quarantined == [(f"{book}!Export", 10, "Complete Timestamp", "not a time")]
    with open(summary.quarantine_file, encoding="utf-8") as fh:
        assert f"{book}!Export,10," in fh.read()


def test_sheet_on_a_csv_is_refused(real_data: Path, tmp_path: Path) -> None:
    with pytest.raises(ticketlens.ConfigError, match="--sheet applies to Excel workbooks"):
        ticketlens.ingest(real_data / "helpdesk.csv", db=tmp_path / "ws.duckdb", sheet="x")


def test_a_zip_that_is_no_workbook_is_one_clear_error(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "export.csv"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="a ZIP archive, not a CSV file or a workbook"):
        ticketlens.ingest(archive, db=tmp_path / "ws.duckdb")


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_desk_events_workbook_with_a_date_cell_at_midnight(tmp_path: Path) -> None:
    """The events layout has one fixed timestamp pattern; a date-time cell at 00:00 (which
    the reader returns as a date) must still fit it."""
    ticketlens.generate(tmp_path / "desk", tickets=150, seed=5, formats=("csv",))
    header, *rows = _rows(tmp_path / "desk" / "events.csv")
    at = header.index("timestamp")
    rows[0][at] = rows[0][at][:10] + " 00:00:00"  # a ticket's first event, still its first
    part = tmp_path / "events.csv"
    with part.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    typed = [header] + [_typed(header, r, ("timestamp",), "%Y-%m-%d %H:%M:%S") for r in rows]
    book = _workbook(tmp_path / "events.xlsx", {"events": typed})
    ticketlens.ingest(part, db=tmp_path / "a.duckdb")
    summary = ticketlens.ingest(book, db=tmp_path / "b.duckdb")
    assert summary.sources[0].format == "events"
    assert summary.sources[0].rows_quarantined == 0
    assert _events(tmp_path / "b.duckdb") == _events(tmp_path / "a.duckdb")


def _ods(path: Path, rows: list[list[str]]) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (no ODS writer is a dependency)."""
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p>'
            "</table:table-cell>" for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Tickets">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", manifest)
    return path


def test_opendocument_spreadsheet_reads_like_the_csv(real_data: Path, tmp_path: Path) -> None:
    header, *rows = _rows(real_data / "helpdesk.csv")
    part = tmp_path / "helpdesk.csv"
    with part.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows[:300]])
    sheet = _ods(tmp_path / "helpdesk.data", [header, *rows[:300]])  # no telling suffix
    ticketlens.ingest(part, db=tmp_path / "a.duckdb")
    summary = ticketlens.ingest(sheet, db=tmp_path / "b.duckdb")
    assert summary.sources[0].detected.startswith(
        "event-log CSV with a column mapping, mapping 'helpdesk' — OpenDocument spreadsheet, "
        "sheet 'Tickets'")
    assert _events(tmp_path / "b.duckdb") == _events(tmp_path / "a.duckdb")


def test_damaged_workbooks_are_one_line_each(real_data: Path, tmp_path: Path) -> None:
    book = _workbook(tmp_path / "whole.xlsx", {"s": _rows(real_data / "helpdesk.csv")[:50]})
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(book.read_bytes()[: book.stat().st_size // 2])
    fake = tmp_path / "protected.xlsx"  # the OLE2 container a password-protected .xlsx uses
    fake.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600)
    for path, expected in ((cut, "cannot be opened as one"),
                           (fake, "cannot be read as a workbook")):
        code, out = _cli("ingest", str(path), "--db", str(tmp_path / "ws.duckdb"))
        assert code == 2, out
        assert len(out.strip().splitlines()) == 1 and expected in out, out
        assert not (tmp_path / "ws.duckdb").exists()
