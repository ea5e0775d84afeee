"""What a person reads in the terminal: kpi's short summary and its tables on demand, p-values
that never read "0.00", "10 of 362" wherever a list is cut, data printed as written (rich markup
never eats it), output folders a colleague can open, and --out saying what it wrote."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mine_support import workspace_file
from ticketlens.cli import cli
from ticketlens.demo import demo

REPO = Path(__file__).resolve().parents[1]


def _run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    return demo(tmp_path_factory.mktemp("tty") / "demo", tickets=400, seed=3)


def _flat(text: str) -> str:
    """Terminal text with rich's wrapping and table borders folded into single spaces."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩━─┳┻╇╈┼└┘┌┐├┤┬┴]", " ", text).split())


# --- kpi: summary by default, tables on demand -----------------------------------------------


def test_kpi_prints_a_short_summary_by_default(desk) -> None:
    """A service manager's headline figures fit one screen; the tables wait for --all."""
    result = _run("kpi", "--db", desk.db)
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    overall = desk.overall
    assert len(result.output.splitlines()) <= 30
    assert f"tickets {int(overall['tickets']):,}" in text
    assert f"resolved {int(overall['ever_resolved']):,}" in text
    assert f"MTTR {overall['mttr_hours']:.1f} h" in text
    assert f"median {overall['median_resolution_hours']:.1f} h" in text
    for _, row in desk.breach.iterrows():
        assert f"{row['metric']} breach rate {row['breach_rate']:.1%}" in text
    assert f"reopen rate {overall['reopen_rate']:.1%}" in text
    assert f"first-contact resolution {overall['fcr_rate']:.1%}" in text
    assert "backlog now" in text and "top Pareto cause" in text
    assert "Technicians" not in text and "Statistical checks" not in text
    assert "--all" in text and "--table" in text


def test_kpi_summary_says_not_measurable_and_why(tmp_path) -> None:
    """Tickets without a category or system have no Pareto cause, and nothing resolved has no
    MTTR: the summary says "not measurable" and why, never "(unknown): 100 %" or "nan"."""
    rows = [("T1", 0, "Ticket Created", None), ("T1", 30, "Ticket Assigned", "Chris Johnson"),
            ("T2", 60, "Ticket Created", None)]
    db = workspace_file(tmp_path / "ws.duckdb", rows)
    result = _run("kpi", "--db", db)
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    assert "top Pareto cause not measurable: no ticket records a" in text
    assert "MTTR not measurable: 2 not resolved" in text
    # kpi_coverage counts the tickets FCR could not use (issue 10 §1: a row per KPI)
    assert "first-contact resolution not measurable: 2 not resolved, or no known holder" \
        in text
    assert "nan" not in text and "(unknown)" not in text


def test_kpi_summary_counts_resolved_tickets_it_cannot_time(real_data, tmp_path) -> None:
    """The customer-support ticket table records which tickets were resolved but no creation
    instant: 2,769 resolved, and their resolution time is not measurable (it said 0 resolved)."""
    db = tmp_path / "cs.duckdb"
    assert _run("ingest", real_data / "customer_support_tickets.csv", "--db", db).exit_code == 0
    text = _flat(_run("kpi", "--db", db).output)
    assert "resolved 2,769" in text
    assert "MTTR not measurable: 8,469 no creation event" in text


def test_kpi_all_prints_every_table(desk) -> None:
    result = _run("kpi", "--db", desk.db, "--all")
    assert result.exit_code == 0, result.output
    for title in ("Resolution and response by priority", "SLA breaches by team", "Backlog",
                  "Technicians", "Statistical checks", "Coverage"):
        assert title in result.output


def test_kpi_table_prints_one_whole_table(desk) -> None:
    """--table NAME shows every row of that table (with or without the kpi_ prefix)."""
    technicians = pd.read_parquet(desk.out / "kpi" / "kpi_technicians.parquet")
    for name in ("kpi_technicians", "technicians"):
        result = _run("kpi", "--db", desk.db, "--table", name)
        assert result.exit_code == 0, result.output
        for technician in technicians["technician"]:
            assert technician in result.output
        assert "Statistical checks" not in result.output and "Backlog" not in result.output


def test_kpi_unknown_table_is_one_line_naming_the_tables(desk) -> None:
    result = _run("kpi", "--db", desk.db, "--table", "kpi_nonsense")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert "kpi_nonsense" in result.output
    assert "kpi_segments" in result.output and "kpi_coverage" in result.output


def test_p_values_are_in_scientific_notation(desk) -> None:
    """A p-value of 1e-98 reads 1.2e-98 (scientific below 1e-4), never 0.00."""
    tests = pd.read_parquet(desk.out / "kpi" / "kpi_tests.parquet")
    assert (tests["p_value"] < 0.005).any()  # the case that used to read 0.00
    result = _run("kpi", "--db", desk.db, "--table", "kpi_tests")
    assert result.exit_code == 0, result.output
    for p in tests["p_value"]:
        assert f"{p:.2g}" in result.output
    assert not re.search(r"│\s*0\.00\s*│", result.output)


def test_cut_lists_say_how_many_of_how_many(desk, tmp_path) -> None:
    """Wherever a list is cut, it says "10 of 362"."""
    variants = _run("mine", "variants", "--db", desk.db, "--limit", "3")
    assert variants.exit_code == 0, variants.output
    total = int(re.search(r"(\d+) variants|of (\d+)", variants.output).group(2))
    assert f"3 of {total}" in variants.output
    # kpi --all shows the last 14 days of the backlog: "14 of 91 days"
    result = _run("kpi", "--db", desk.db, "--all")
    days = len(pd.read_parquet(desk.out / "kpi" / "kpi_backlog.parquet"))
    assert days > 14
    assert f"14 of {days} days" in _flat(result.output)
    # info shows 25 activities of many
    rows = [(f"T{i}", i, f"Step {i:02d}", None) for i in range(40)]
    db = workspace_file(tmp_path / "many.duckdb", rows)
    info = _run("info", "--db", db)
    assert info.exit_code == 0, info.output
    assert "25 of 40" in _flat(info.output)


# --- rich markup never eats text ---------------------------------------------------------------


def test_markup_in_data_prints_as_written(tmp_path) -> None:
    """An activity called "[new] Open" and a technician "[bold]ann" print as written."""
    rows = [("T1", 0, "[new] Open", "[bold]ann"), ("T1", 5, "Ticket Assigned", "[bold]ann"),
            ("T1", 60, "Ticket Resolved", "[bold]ann"), ("T2", 0, "[new] Open", None),
            ("T2", 120, "Ticket Resolved", "[red]bob[/red]")]
    db = workspace_file(tmp_path / "ws.duckdb", rows)
    for args in (("info",), ("mine", "variants"), ("mine", "dfg"), ("mine", "bottlenecks")):
        result = _run(*args, "--db", db)
        assert result.exit_code == 0, (args, result.output)
        assert "[new] Open" in result.output, args
    assert "[bold]ann" in _run("mine", "handover", "--db", db).output
    sla = _run("sla", "--db", db)
    assert sla.exit_code == 0, sla.output
    assert "under [vocabulary]" in _flat(sla.output)


def test_progress_descriptions_keep_brackets() -> None:
    """A file called "[new] export.csv" keeps its name on the progress line."""
    from rich.console import Console

    from ticketlens.core.progress import Display

    with Display(enabled=True) as display:
        display.task("[new] export.csv: reading", total=10)
        progress = display._progress
        assert progress is not None
        console = Console(record=True, width=120, file=open(os.devnull, "w"))  # noqa: SIM115
        console.print(progress.make_tasks_table(progress.tasks))
        assert "[new] export.csv" in console.export_text()


# --- files: folders, --out, quarantine ------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_output_folders_get_normal_permissions(desk) -> None:
    """A generated desk folder is not drwx------: the umask decides, as for mkdir."""
    assert stat.S_IMODE(desk.desk.stat().st_mode) == 0o777 & ~_umask()


def test_sla_and_kpi_out_say_what_they_wrote(desk, tmp_path) -> None:
    facts = tmp_path / "facts.csv"
    result = _run("sla", "--db", desk.db, "--out", facts)
    assert result.exit_code == 0, result.output
    assert f"wrote {facts}" in _flat(result.output)
    folder = tmp_path / "kpi"
    result = _run("kpi", "--db", desk.db, "--out", folder, "--format", "csv")
    assert result.exit_code == 0, result.output
    written = sorted(folder.iterdir())
    assert len(written) == 9
    for path in written:
        assert f"wrote {path}" in _flat(result.output)
    # --json says it in "written" (stdout stays one JSON document)
    result = _run("kpi", "--db", desk.db, "--out", folder, "--format", "csv", "--json")
    assert sorted(json.loads(result.output)["written"]) == [str(p) for p in written]
    result = _run("sla", "--db", desk.db, "--out", facts, "--json")
    assert json.loads(result.output)["written"] == [str(facts)]


def test_quarantine_file_is_named_as_the_docs_say(tmp_path) -> None:
    """docs/ingest.md gives the default quarantine file's name by example; ingest uses it."""
    docs = (REPO / "docs" / "ingest.md").read_text(encoding="utf-8")
    example = re.search(r"`--db (\S+\.duckdb)` → `(\S+\.csv)`", docs)
    assert example, "docs/ingest.md shows the default quarantine name for an example --db"
    db_name, quarantine_name = example.groups()
    log = tmp_path / "events.csv"
    log.write_text("case_id,activity,timestamp\nT1,Ticket Created,2024-01-01 09:00\n"
                   "T1,Ticket Resolved,not a time\n", encoding="utf-8")
    result = _run("ingest", log, "--db", tmp_path / db_name, "--case", "case_id",
                  "--activity", "activity", "--timestamp", "timestamp")
    assert result.exit_code == 0, result.output
    assert (tmp_path / quarantine_name).exists()
    assert f"written to {tmp_path / quarantine_name}" in _flat(result.output)
