"""`ticketlens kpi --xlsx report.xlsx`: every KPI table as a sheet, read back equal."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import ticketlens
from ticketlens.analyses.kpi.tables import KPI_TABLES
from ticketlens.cli import cli
from ticketlens.core.errors import InputError
from ticketlens.core.workbook import write_workbook


@pytest.fixture(scope="module")
def servicenow(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sn-xlsx") / "ws.duckdb"
    ticketlens.ingest(real_data / "servicenow_incidents_sample.csv", db=db)
    return db


def _cell(value: object) -> object:
    """A table value as it must come back from the sheet."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _same(got: object, want: object) -> bool:
    """Equal; a float to the 16 significant digits the file keeps (Excel shows 15)."""
    if isinstance(want, float) and isinstance(got, int | float) and not isinstance(got, bool):
        return math.isclose(got, want, rel_tol=1e-15, abs_tol=0.0)
    return type(got) is type(want) and got == want if isinstance(want, bool) else got == want


def _sheet_rows(book: openpyxl.Workbook, name: str) -> tuple[list, list[list]]:
    header, *rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    # read-only openpyxl leaves out a row's trailing empty cells
    return header, [row + [None] * (len(header) - len(row)) for row in rows]


def test_kpi_xlsx_holds_every_table_read_back_equal(servicenow: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(cli, ["kpi", "--db", str(servicenow), "--policy", "servicenow",
                                      "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    with duckdb.connect(str(servicenow), read_only=True) as con:
        tables = {name: con.execute(f"SELECT * FROM {name}").fetch_df() for name in KPI_TABLES}
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["about", *KPI_TABLES]
    for name, frame in tables.items():
        header, rows = _sheet_rows(book, name)
        assert header == list(frame.columns), name
        expected = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
        assert len(rows) == len(expected), name
        for got, want in zip(rows, expected, strict=True):
            assert [_same(a, b) for a, b in zip(got, want, strict=True)] == [True] * len(want), \
                (name, got, want)
    about = {r[0]: r[1] for r in book["about"].iter_rows(values_only=True) if r}
    assert about["policy"] == "servicenow" and about["segment"] == "all tickets"
    assert len(tables["kpi_segments"]) == 200  # the report is not a trivial one


def test_kpi_xlsx_and_out_folder_together(servicenow: Path, tmp_path: Path) -> None:
    report = ticketlens.kpi(servicenow, out=tmp_path / "kpis", formats=("csv",),
                            xlsx=tmp_path / "kpis.xlsx")
    assert report.xlsx == tmp_path / "kpis.xlsx"
    assert sorted(p.name for p in (tmp_path / "kpis").iterdir()) == sorted(
        f"{name}.csv" for name in KPI_TABLES)
    assert report.to_dict()["xlsx"] == str(tmp_path / "kpis.xlsx")


def test_workbook_names_values_and_atomicity(tmp_path: Path) -> None:
    long = "a_table_name_longer_than_thirty_one_characters"
    tables = {
        long + "_1": pd.DataFrame({"team": ["=HYPERLINK(\"x\")", "bell\x07here"]}),
        long + "_2": pd.DataFrame({
            "at": pd.to_datetime(["2024-01-01T10:00:00+02:00", None], utc=True),
            "items": [["a", "b"], None]}),
        "bad/name?": pd.DataFrame({"n": [1, 2]}),
    }
    out = tmp_path / "t.xlsx"
    write_workbook(tables, out, about=[("made by", "test")])
    book = openpyxl.load_workbook(out)
    names = book.sheetnames
    assert names[0] == "about" and len(names) == 4
    assert all(len(n) <= 31 for n in names) and len(set(names)) == 4
    first, second, third = (book[n] for n in names[1:])
    # Text that looks like a formula stays text; a control character is dropped, said so.
    assert first["A2"].value == '=HYPERLINK("x")' and first["A2"].data_type == "s"
    assert first["A3"].value == "bellhere"
    assert second["A2"].value == datetime(2024, 1, 1, 8, 0)  # UTC, said in the header
    assert second["A1"].value == "at (UTC)"
    assert second["B2"].value == '["a", "b"]' and second["B3"].value is None
    assert third.title == "bad_name_" and third["A3"].value == 2
    about = {r[0]: r[1] for r in book["about"].iter_rows(values_only=True) if r}
    assert about["made by"] == "test"
    assert about[names[1]] == long + "_1"  # the sheet list names each table in full
    # A failed write leaves the earlier workbook as it was, and names the user's path.
    before = out.read_bytes()
    with pytest.raises(InputError, match=f"cannot write {tmp_path / 'nope' / 't.xlsx'}"):
        write_workbook(tables, tmp_path / "nope" / "t.xlsx")
    huge = {"x": pd.DataFrame({"n": range(3)})}
    with pytest.raises(InputError, match="more rows than a sheet holds"):
        write_workbook(huge, out, max_rows=2)
    assert out.read_bytes() == before


def _kpi_runs(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT * FROM runs WHERE analysis = 'kpi' ORDER BY ALL").fetchall()


def test_kpi_xlsx_refuses_a_bad_name_or_place_before_any_work(servicenow: Path,
                                                              tmp_path: Path) -> None:
    before = _kpi_runs(servicenow)
    for target, expected in (
            (tmp_path / "report.xls", "an Excel workbook is written as .xlsx; name the file "
                                      "report.xlsx"),
            (tmp_path / "missing" / "report.xlsx", f"folder {tmp_path / 'missing'} does not "
                                                   "exist")):
        result = CliRunner().invoke(cli, ["kpi", "--db", str(servicenow), "--xlsx", str(target)])
        assert result.exit_code == 2
        assert result.output.strip() == f"error: cannot write {target}: {expected}"
    assert _kpi_runs(servicenow) == before  # refused before computing (or storing) anything
