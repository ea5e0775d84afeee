"""What `ticketlens kpi` prints: a short summary of the headline figures by default, every
table with ``--all`` (long ones cut, saying "16 of 40 rows"), one whole table with
``--table NAME``.

The summary reads the KPI tables the library built (no figure of its own): the overall row of
``kpi_segments`` and ``kpi_breach``, the last day of ``kpi_backlog``, the first rank of
``kpi_pareto``, and ``kpi_coverage`` for why a figure is missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ticketlens.cli.output import esc, fmt, not_measurable, shown_of, table
from ticketlens.core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

_TIMES = {"value": "", "tickets": "tickets", "resolved": "resolved", "mttr_hours": "MTTR h",
          "median_resolution_hours": "median h", "p90_resolution_hours": "p90 h",
          "frt_median_minutes": "FRT median min", "reopen_rate": "reopen",
          "escalation_rate": "escalation", "fcr_rate": "FCR"}
_UNKNOWN = "(unknown)"  # the KPI tables' label for a ticket without the attribute
_BREACH = {"metric": "metric", "value": "", "with_verdict": "measured", "breached": "breached",
           "breach_rate": "rate", "open_breached": "open & breached"}


@dataclass(frozen=True)
class View:
    """One printed table: rows of ``table`` (``rows`` picks them; ``--table`` shows all),
    with ``columns`` (name → header), cut at ``limit`` rows under ``--all``."""

    table: str
    title: str
    columns: dict[str, str]
    limit: int | None = None
    rows: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    dimension: str | None = None


def _by(dimension: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame[frame["dimension"] == dimension]


def _views(tables: dict[str, pd.DataFrame], whole: bool) -> list[View]:
    """The views of ``--all`` (``whole``: of ``--table``, every dimension, every row)."""
    views = []
    seg_dims = [("overall", None), ("priority", None), ("team", 12), ("category", None),
                ("system", 10), ("technician", 12)]
    breach_dims = [("overall", None), ("priority", None), ("team", 16)]
    if whole:  # every dimension the tables hold, in their order
        seg_dims = [(d, None) for d in dict.fromkeys(tables["kpi_segments"]["dimension"])]
        breach_dims = [(d, None) for d in dict.fromkeys(tables["kpi_breach"]["dimension"])]
    for dimension, limit in seg_dims:
        views.append(View("kpi_segments", f"Resolution and response by {dimension}",
                          {**_TIMES, "value": dimension}, limit, _by(dimension), dimension))
    for dimension, limit in breach_dims:
        views.append(View("kpi_breach", f"SLA breaches by {dimension}",
                          {**_BREACH, "value": dimension}, limit, _by(dimension), dimension))
    days = len(tables["kpi_backlog"])
    views += [
        View("kpi_backlog", "Backlog" + ("" if whole or days <= 14
                                         else f" (last {shown_of(14, days)} days)"), {
            "day": "day", "created": "created", "closed": "closed", "reopened": "reopened",
            "open_end_of_day": "open", "created_7d_avg": "created 7d",
            "closed_7d_avg": "closed 7d", "open_7d_avg": "open 7d"},
            rows=None if whole else (lambda frame: frame.tail(14))),
        View("kpi_pareto", "Pareto" if whole else "Pareto (vital few = first 80 % of tickets)", {
            "dimension": "dimension", "value": "value", "tickets": "tickets", "share": "share",
            "cumulative_share": "cumulative"},
            rows=None if whole else (lambda frame: frame[frame["vital_few"]])),
        View("kpi_peak_load", "Peak load: tickets created, hour × weekday", {}),
        View("kpi_technicians", "Technicians", {
            "technician": "technician", "tier": "tier", "tickets_held": "held",
            "open_now": "open now", "tickets_resolved": "resolved", "mttr_hours": "MTTR h",
            "reopen_rate": "reopen", "escalation_rate": "escalation",
            "resolution_breach_rate": "breach"}, 15),
        View("kpi_csat", "Customer satisfaction", {
            "dimension": "dimension", "value": "value", "rated": "rated", "mean_csat": "mean",
            "satisfied_share": "≥ 4"},
            rows=None if whole else (lambda frame: frame[frame["dimension"].isin(
                ["overall", "priority", "channel"])])),
        View("kpi_tests", "Statistical checks", {
            "test": "test", "n": "n", "statistic": "statistic", "p_value": "p",
            "effect_size_name": "effect size", "effect_size": "value", "note": "note"}),
        View("kpi_coverage", "Coverage: tickets each KPI could use", {
            "kpi": "KPI", "used": "used", "excluded": "left out", "reasons": "why"}),
    ]
    return views


def table_name(name: str, names: list[str]) -> str:
    """``--table NAME``: a KPI table's name, with or without its ``kpi_`` prefix."""
    for candidate in (name, f"kpi_{name}"):
        if candidate in names:
            return candidate
    raise ConfigError(f"--table {name}: no such KPI table; choose one of {', '.join(names)}")


def print_tables(console: Console, tables: dict[str, pd.DataFrame],
                 only: str | None = None) -> None:
    """Every table's views (``--all``), or every row of the table ``only`` (``--table``)."""
    for view in _views(tables, whole=only is not None):
        if only is not None and view.table != only:
            continue
        frame = tables[view.table]
        if view.table == "kpi_peak_load":
            _print_peak(console, frame)
            continue
        rows = frame if view.rows is None else view.rows(frame)
        if only is None and not len(rows) and view.table not in ("kpi_tests", "kpi_coverage"):
            continue
        limit = None if only is not None else view.limit
        console.print(table(view.title, rows, view.columns, limit,
                            f"all: --table {view.table}"))


def print_summary(console: Console, tables: dict[str, pd.DataFrame]) -> None:
    """The handful of figures a service manager reads first, then how to see the tables."""
    from rich.table import Table

    grid = Table(show_header=False, box=None, padding=(0, 2))
    grid.add_column(style="cyan", no_wrap=True)
    grid.add_column()
    for label, value in summary_rows(tables):
        grid.add_row(esc(label), esc(value))
    console.print(grid)
    names = ", ".join(tables)
    console.print(esc(f"tables: {names} — `--table NAME` shows one whole, `--all` every table "
                      "(`--out DIR` / `--json` write them)"))


def summary_rows(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """(label, text) pairs of the summary, every figure read from the KPI tables."""
    from ticketlens.analyses.mine.duration import human_duration

    seg = tables["kpi_segments"]
    overall = seg[seg["dimension"] == "overall"]
    if overall.empty:
        return [("tickets", "0")]
    row = overall.iloc[0]
    why = _reasons(tables["kpi_coverage"])
    rows = [("tickets", fmt(row["tickets"], "int")),
            # tickets resolved, whether or not their resolution time can be measured (a ticket
            # table without creation instants still records which tickets were resolved)
            ("resolved", fmt(row["ever_resolved"], "int"))]
    if _missing(row["mttr_hours"]):
        rows.append(("MTTR", not_measurable(why("resolution time"))))
    else:
        rows.append(("MTTR", f"{row['mttr_hours']:.1f} h · median "
                             f"{row['median_resolution_hours']:.1f} h · p90 "
                             f"{row['p90_resolution_hours']:.1f} h"))
    frt = row["frt_median_minutes"]
    rows.append(("first response", not_measurable(why("first response")) if _missing(frt)
                 else f"median {human_duration(float(frt) * 60)}"))
    breach = tables["kpi_breach"]
    for _, metric in breach[breach["dimension"] == "overall"].iterrows():
        label = f"{metric['metric']} breach rate"
        if _missing(metric["breach_rate"]):
            rows.append((label, not_measurable(why(f"{metric['metric']} SLA"))))
        else:
            rows.append((label, f"{metric['breach_rate']:.1%} ({metric['breached']:,} of "
                                f"{metric['with_verdict']:,} with a verdict; "
                                f"{metric['open_breached']:,} open and breached)"))
    for column, label in (("reopen_rate", "reopen rate"), ("escalation_rate", "escalation rate"),
                          ("fcr_rate", "first-contact resolution")):
        reason = why(label) or ("no resolved ticket" if column == "fcr_rate"
                                and not row.get("fcr_known") else None)
        rows.append((label, not_measurable(reason) if _missing(row[column])
                     else f"{row[column]:.1%}"))
    rows.extend(_backlog_and_pareto(tables))
    return rows


def _backlog_and_pareto(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    rows = []
    backlog = tables["kpi_backlog"]
    if len(backlog):
        last = backlog.iloc[-1]
        rows.append(("backlog now", f"{int(last['open_end_of_day']):,} open at the end of "
                                    f"{fmt(last['day'], 'text')[:10]}"))
    pareto = tables["kpi_pareto"]
    known = pareto[pareto["value"] != _UNKNOWN]
    if len(known):  # the largest known cause: "(unknown)" is no cause to act on
        top = known.sort_values(["share", "dimension", "rank"], ascending=[False, True, True],
                                kind="stable").iloc[0]
        same = pareto[pareto["dimension"] == top["dimension"]]
        rows.append(("top Pareto cause", f"{top['dimension']} {top['value']}: "
                                         f"{top['share']:.1%} of tickets (vital few: "
                                         f"{shown_of(int(same['vital_few'].sum()), len(same))}"
                                         f" {top['dimension']} values)"))
    elif len(pareto):
        rows.append(("top Pareto cause", not_measurable(
            f"no ticket records a {' or '.join(dict.fromkeys(pareto['dimension']))}")))
    csat = tables["kpi_csat"]
    overall = csat[csat["dimension"] == "overall"]
    if len(overall) and int(overall.iloc[0]["rated"]):
        rows.append(("CSAT", f"{overall.iloc[0]['mean_csat']:.2f} mean of "
                             f"{int(overall.iloc[0]['rated']):,} ratings"))
    return rows


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _reasons(coverage: pd.DataFrame) -> Callable[[str], str | None]:
    """Why a KPI is missing, from ``kpi_coverage`` (its row whose name starts so)."""

    def why(kpi: str) -> str | None:
        rows = coverage[coverage["kpi"].str.startswith(kpi)]
        if rows.empty or not isinstance(rows.iloc[0]["reasons"], str):
            return None
        return str(rows.iloc[0]["reasons"])

    return why


def _print_peak(console: Console, peak: pd.DataFrame) -> None:
    from rich.table import Table

    if not int(peak["tickets"].sum()):
        return
    matrix = peak.pivot(index="hour", columns="day", values="tickets")
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    grid = Table(title="Peak load: tickets created, hour × weekday", title_justify="left",
                 title_style="bold")
    grid.add_column("hour")
    for day in days:
        grid.add_column(day, justify="right")
    top = int(matrix.to_numpy().max())
    for hour, row in matrix.iterrows():
        cells = [f"[bold red]{int(row[d]):,}[/]" if top and row[d] >= 0.75 * top
                 else f"{int(row[d]):,}" for d in days]
        grid.add_row(f"{hour:02d}:00", *cells)
    console.print(grid)
