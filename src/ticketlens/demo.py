"""STUB — the end-to-end demo, wired up once the verbs exist."""

from __future__ import annotations

from pathlib import Path


def demo(out: str | Path = "ticketlens-demo") -> object:
    raise NotImplementedError("demo")
