"""Process mining of ticket lifecycles. Each function mirrors `ticketlens mine <analysis>`."""

from ticketlens.mine.api import (
    bottlenecks,
    conformance,
    dfg,
    export_xes,
    handover,
    process_map,
    rework,
    variants,
)

__all__ = [
    "bottlenecks",
    "conformance",
    "dfg",
    "export_xes",
    "handover",
    "process_map",
    "rework",
    "variants",
]
