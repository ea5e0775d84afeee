"""`--xlsx FILE`: a verb's tables as one Excel workbook, beside the terminal report.

Kept apart from the verbs' printing so the option means the same wherever it is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def xlsx_option(func: F) -> F:
    return click.option(
        "--xlsx", type=click.Path(dir_okay=False), metavar="FILE.xlsx",
        help="Also write every table as a sheet of this Excel workbook (all of it, or nothing).",
    )(func)


def written_xlsx(report: Any) -> None:
    """Say where the workbook went, when one was written (``report.xlsx``)."""
    if getattr(report, "xlsx", None) is not None:
        click.echo(f"wrote {report.xlsx} ({len(report.tables)} tables as sheets, after "
                   "an 'about' sheet)")
