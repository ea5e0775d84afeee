"""The CLI's output layer: rich tables for people, ``--json`` for machines, ``--out`` for files
(one table as CSV/Parquet, all as JSON or a folder).

Every user or data string reaches rich through ``esc`` (activity names like ``[new] Open`` are
markup to rich otherwise, and vanish); cut lists say ``shown_of`` ("10 of 362"); values are
formatted by ``fmt`` (p-values in scientific notation, missing values as "–", a not measurable
figure as "not measurable: why").

Heavy libraries (pandas, numpy, rich) are imported inside the functions: `--help` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ticketlens.core.errors import InputError
from ticketlens.core.files import atomic_file, make_folder

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

# (column, header, format: int|share|seconds|text|list|bool|time|p|number)
Column = tuple[str, str, str]
NOT_MEASURABLE = "not measurable"


def esc(value: object) -> str:
    """``value`` as text that rich prints exactly as written (its markup escaped)."""
    from rich.markup import escape

    return escape(str(value))


class _FirstLine:
    """Standard output that writes ``line`` before whatever is written first, and never when
    nothing is: a command that fails before its output prints only its one error line."""

    def __init__(self, stream: Any, line: str) -> None:
        self._stream, self._line = stream, line

    def write(self, text: str) -> int:
        if self._line and text:
            self._stream.write(self._line + "\n")
            self._line = ""
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, flush, encoding, buffer …
        return getattr(self._stream, name)


@contextlib.contextmanager
def first_line(line: str) -> Iterator[None]:
    """Print ``line`` as the first line of a command's output, once it has output."""
    with contextlib.redirect_stdout(_FirstLine(sys.stdout, line)):  # type: ignore[type-var]
        yield


def shown_of(shown: int, total: int) -> str:
    """How much of a cut list is shown: "10 of 362"."""
    return f"{shown:,} of {total:,}"


def console() -> Console:
    """The console of the tables: a terminal's own width (at least 100), piped output gets room
    instead of cropping at 80."""
    from rich.console import Console

    if not sys.stdout.isatty():
        return Console(soft_wrap=False, width=200)
    return Console(soft_wrap=False, width=max(Console().width, 100))


def not_measurable(reason: str | None) -> str:
    """A figure the data cannot support, with why (never a borrowed number)."""
    if reason and reason.startswith(NOT_MEASURABLE):  # a reason that says it already
        return reason
    return f"{NOT_MEASURABLE}: {reason}" if reason else NOT_MEASURABLE

# Per-ticket tables: written with --out, left out of --json (they can be millions of rows).
_PER_TICKET = {"time_split", "tickets"}


def written(path: Path, as_json: bool, described: str) -> None:
    if as_json:
        click.echo(json.dumps({"written": str(path), "segment": described}))
    else:
        click.echo(f"wrote {path}")


def emit(tables: dict[str, pd.DataFrame], head: dict[str, Any], main: str, as_json: bool,
          out: str | None) -> bool:
    """Write --out and print --json; True when the terminal tables should not be shown."""
    if out is not None:
        write_tables(Path(out), tables, head, main)
    if as_json:
        payload = {**head, **{name: _records(frame) for name, frame in tables.items()
                              if name not in _PER_TICKET}}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        return True
    if out is not None:
        click.echo(f"wrote {out}", err=True)
    return False


def write_tables(out: Path, tables: dict[str, pd.DataFrame], head: dict[str, Any],
                  main: str) -> None:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        atomic_write(out, lambda path: _csv(tables[main]).to_csv(path, index=False))
    elif suffix == ".parquet":
        atomic_write(out, lambda path: tables[main].to_parquet(path, index=False))
    elif suffix == ".json":
        payload = {**head, **{name: _records(frame) for name, frame in tables.items()}}
        atomic_write(out, lambda path: path.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8"))
    elif suffix:
        raise InputError(f"cannot tell what to write to {out}: use .csv, .parquet, .json, "
                         "or a folder name")
    else:
        make_folder(out)
        for name, frame in tables.items():
            atomic_write(out / f"{name}.csv",
                          lambda path, frame=frame: _csv(frame).to_csv(path, index=False))


def atomic_write(out: Path, write: Callable[[Path], Any]) -> None:
    with atomic_file(out) as temp:
        write(temp)


def _csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists become ' → '-joined text in CSV files."""
    import numpy as np

    listed = [c for c in frame.columns
              if frame[c].map(lambda v: isinstance(v, list | np.ndarray)).any()]
    return frame.assign(**{c: frame[c].map(" → ".join) for c in listed}) if listed else frame


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))


def note_empty(cases: int, described: str) -> bool:
    """Say so when the segment holds no tickets (an empty answer, not an error)."""
    if cases == 0:
        click.echo(f"no tickets match the filter ({described}): nothing to show", err=True)
    return cases == 0


def show(title: str, frame: pd.DataFrame, columns: Sequence[Column],
          limit: int | None) -> None:
    """A rich table of the first ``limit`` rows (all rows when ``limit`` is None)."""
    if frame.empty:
        return
    from rich.table import Table

    shown = frame if limit is None else frame.head(limit)
    more = f" — top {shown_of(limit, len(frame))}" if limit is not None and len(frame) > limit \
        else ""
    table = Table(title=esc(title + more), title_justify="left")
    rows = [[fmt(values[column], kind) for column, _h, kind in columns]
            for values in shown[[c for c, _h, _k in columns]].to_dict("records")]
    for index, (_column, header, kind) in enumerate(columns):
        numeric = kind in ("int", "share", "seconds", "time", "bool")
        # Numbers never wrap; names keep a readable width and long texts share the rest.
        widest = max((len(row[index]) for row in rows), default=0)
        table.add_column(esc(header), justify="right" if numeric else "left", no_wrap=numeric,
                         overflow="fold", min_width=None if numeric else min(widest, 22))
    for row in rows:
        table.add_row(*(esc(cell) for cell in row))
    console().print(table)


def table(title: str, frame: pd.DataFrame, columns: dict[str, str],
          limit: int | None = None, more: str = "") -> Table:
    """A rich table of ``frame``'s ``columns`` (name → header), each value formatted by its
    type; cut at ``limit`` rows, with a caption saying how many of how many and ``more``
    (where the rest is)."""
    from rich.table import Table

    result = Table(title=esc(title), title_justify="left", title_style="bold")
    for header in columns.values():
        result.add_column(esc(header), overflow="fold")
    shown = frame if limit is None else frame.head(limit)
    for row in shown[list(columns)].to_dict("records"):
        result.add_row(*(esc(fmt(row[c], _kind(row[c], c))) for c in columns))
    if limit is not None and len(frame) > limit:
        result.caption = esc(f"{shown_of(limit, len(frame))} rows" + (f" · {more}" if more else ""))
    return result


def _kind(value: Any, column: str) -> str:
    """The format of a value in a table without declared kinds: by its type and column name."""
    from numbers import Integral, Real

    import numpy as np

    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, Integral):
        return "int"
    if isinstance(value, Real):
        if column == "p_value":
            return "p"
        return "share" if column.endswith(("_rate", "share")) else "number"
    if isinstance(value, datetime):  # pandas Timestamps too
        return "time"
    return "text"


def fmt(value: Any, kind: str) -> str:
    import numpy as np
    import pandas as pd

    if isinstance(value, list | tuple | np.ndarray):
        return " → ".join(str(v) for v in value)
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "share":
        return f"{float(value):.1%}"
    if kind == "seconds":
        from ticketlens.analyses.mine.duration import human_duration
        return human_duration(float(value))
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "p":
        # Scientific below 1e-4 (1.2e-98), never "0.00"; an underflowed 0 says how small.
        return f"{float(value):.2g}" if value > 0 else "< 1e-300"
    if kind == "number":
        return f"{float(value):,.2f}"
    if kind == "time":
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    return str(value)

