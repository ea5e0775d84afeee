"""Read a Parquet file into the same text-column shape as a CSV (see ``csvfile.RawTable``).

Every column becomes text so one mapping and one validation path serve both formats; typed
timestamps are written as ISO text that keeps their meaning (a naive TIMESTAMP stays naive and
is read in the ingest time zone; a TIMESTAMPTZ keeps its offset). ``source_row`` is the 1-based
record number in the file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ticketlens.core.errors import InputError
from ticketlens.sources.ingest.csvfile import RawTable
from ticketlens.sources.ingest.scan import sha256_of
from ticketlens.workspace.sql import quote_ident


def parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    try:
        rows = con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($p))",
            {"p": str(path)},
        ).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{path}: not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    return [(str(n), str(t)) for n, t in rows]


def _as_text(ref: str, dtype: str) -> str:
    if dtype.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"strftime({ref}, '%Y-%m-%d %H:%M:%S.%f+00:00')"
    if dtype.startswith("TIMESTAMP"):
        return f"strftime({ref}, '%Y-%m-%d %H:%M:%S.%f')"
    return f"CAST({ref} AS VARCHAR)"


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> RawTable:
    """Expose ``path`` as view ``name`` (source_row, c0..cN text)."""
    described = parquet_columns(con, path)
    if not described:
        raise InputError(f"{path}: the Parquet file has no columns")
    # Column names are read back from the file's own schema and quoted as identifiers.
    selects = []
    for i, (column, dtype) in enumerate(described):
        quoted = quote_ident(column)
        selects.append(f"{_as_text(quoted, dtype)} AS c{i}")
    # A view cannot take parameters: the relation API binds the path instead.
    con.read_parquet(str(path), file_row_number=True).create_view(f"{name}_file")
    con.execute(
        f"CREATE TEMP VIEW {name} AS SELECT file_row_number + 1 AS source_row, "
        f"{', '.join(selects)} FROM {name}_file"
    )
    rows = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    if rows == 0:
        raise InputError(f"{path}: the Parquet file has no rows: nothing to ingest")
    rejects = f"{name}_rejects"
    con.execute(
        f'CREATE TEMP TABLE {rejects} (source_row BIGINT, "column" VARCHAR, value VARCHAR, '
        "reason VARCHAR)"
    )
    return RawTable(
        view=name,
        columns=[c for c, _ in described],
        delimiter="",
        rows_read=rows,
        rejects=rejects,
        line_numbers="record",
        sha256=sha256_of(path),
    )
