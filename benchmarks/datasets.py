"""Cached benchmark inputs: a generated desk and its ingested workspace, made once per size.

Benchmarks of every part share these so the 1 M-ticket desk is generated once, not per script.
A file lock keeps two benchmark processes from building the same dataset at the same time.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
SEED = 20240101


@contextmanager
def _locked(name: str) -> Iterator[None]:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def desk(tickets: int, formats: tuple[str, ...] = ("csv", "parquet")) -> Path:
    """A generated desk folder with ``tickets`` tickets (default 2024-Q1 window widened to fit)."""
    import ticketlens

    folder = OUT / f"desk-{tickets}"
    with _locked(folder.name):
        if not (folder / "manifest.json").exists():
            ticketlens.generate(folder, tickets=tickets, seed=SEED, formats=formats, progress=True)
    return folder


def workspace(tickets: int) -> Path:
    """A workspace file holding the ingested generated desk of ``tickets`` tickets."""
    import ticketlens

    db = OUT / f"ws-{tickets}.duckdb"
    source = desk(tickets)
    with _locked(db.name):
        if not db.exists():
            partial = db.with_suffix(".partial.duckdb")
            partial.unlink(missing_ok=True)
            ticketlens.ingest([source], db=partial, progress=True)
            partial.rename(db)
    return db
