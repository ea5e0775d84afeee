"""One SQL loader and runner: files beside their module, values always bound by name,
identifiers checked or quoted in one place."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import ticketlens
from ticketlens.core.errors import ConfigError
from ticketlens.workspace.sql import check_identifier, load_sql, quote_ident, run, run_script


def test_load_sql_reads_the_file_beside_a_module_or_package() -> None:
    beside_module = load_sql("ticketlens.workspace.connection", "info.sql")
    assert beside_module.startswith("-- Grain: one row")
    assert load_sql("ticketlens.workspace", "info.sql") is beside_module  # read once, cached
    kpi = load_sql("ticketlens.analyses.kpi.tables", "kpi_breach.sql")
    assert kpi == (Path(ticketlens.__file__).parent / "analyses/kpi/kpi_breach.sql").read_text()


def test_values_are_bound_never_spliced() -> None:
    con = duckdb.connect()
    hostile = "x'); DROP TABLE t; --"
    con.execute("CREATE TABLE t (v VARCHAR)")
    run(con, "INSERT INTO t VALUES ($v)", {"v": hostile})
    assert run(con, "SELECT v FROM t").fetchall() == [(hostile,)]


def test_a_script_binds_to_each_statement_only_what_it_names() -> None:
    con = duckdb.connect()
    run_script(con, "CREATE TABLE t AS SELECT $a AS a;\n"
                    "INSERT INTO t SELECT $a_b;\n"
                    "-- a comment\nINSERT INTO t SELECT 3;\n", {"a": 1, "a_b": 2, "unused": 9})
    assert con.execute("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (2,), (3,)]


def test_identifiers_are_checked_or_quoted() -> None:
    assert check_identifier("resolution_sla", "metric") == "resolution_sla"
    for bad in ("Resolution", "1st", "a b", 'x"; DROP TABLE t; --', ""):
        with pytest.raises(ConfigError, match="not a plain identifier"):
            check_identifier(bad, "metric")
    con = duckdb.connect()
    name = 'Ticket "ID" ; x'
    con.execute(f"CREATE TABLE t AS SELECT 1 AS {quote_ident(name)}")
    assert con.execute("SELECT * FROM t").description[0][0] == name
