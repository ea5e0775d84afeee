"""STUB — to be replaced by the KPI implementation."""

from __future__ import annotations


def kpi(db: object = None, **options: object) -> object:
    raise NotImplementedError("kpi")
