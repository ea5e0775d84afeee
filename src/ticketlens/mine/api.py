"""STUB — to be replaced by the process-mining implementation."""

from __future__ import annotations


def _todo(*args: object, **kwargs: object) -> object:
    raise NotImplementedError("mine")


variants = dfg = bottlenecks = rework = handover = conformance = process_map = export_xes = _todo
