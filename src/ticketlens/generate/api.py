"""STUB — to be replaced by the generate implementation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    row_counts: dict[str, int]


def generate(out: str | Path, **options: object) -> GenerateResult:
    raise NotImplementedError("generate")
