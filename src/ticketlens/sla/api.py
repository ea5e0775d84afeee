"""STUB — to be replaced by the SLA implementation."""

from __future__ import annotations


def sla(db: object = None, **options: object) -> object:
    raise NotImplementedError("sla")
