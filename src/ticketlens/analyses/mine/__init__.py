"""Process mining of ticket lifecycles: one function per analysis, as ``ticketlens mine <verb>``.

Every function takes the workspace (a path, or an open ``Workspace`` or DuckDB connection
holding the ``events`` table) and an optional ``segment`` (``TicketFilter``), reads ``events`` ordered by
``(ticket_id, event_seq)`` and returns pandas DataFrames: one (``variants``) or a frozen
dataclass of several (the others). ``process_map`` and ``export_xes`` write a file and return
its path.
"""

from __future__ import annotations

from ticketlens.analyses.mine.bottlenecks import Bottlenecks, bottlenecks
from ticketlens.analyses.mine.conformance import Conformance, conformance
from ticketlens.analyses.mine.dfg import DirectlyFollowsGraph, dfg
from ticketlens.analyses.mine.discover import declared_model, discover_model, reference_model
from ticketlens.analyses.mine.handover import HandoverNetwork, handover
from ticketlens.analyses.mine.model import (
    ReferenceModel,
    default_model_path,
    load_model,
    model_toml,
    write_model,
)
from ticketlens.analyses.mine.process_map import process_map, to_dot
from ticketlens.analyses.mine.rework import Rework, rework
from ticketlens.analyses.mine.variants import variants
from ticketlens.analyses.mine.xes import export_xes

__all__ = [
    "Bottlenecks",
    "Conformance",
    "DirectlyFollowsGraph",
    "HandoverNetwork",
    "ReferenceModel",
    "Rework",
    "bottlenecks",
    "conformance",
    "declared_model",
    "default_model_path",
    "dfg",
    "discover_model",
    "export_xes",
    "handover",
    "load_model",
    "model_toml",
    "process_map",
    "reference_model",
    "rework",
    "to_dot",
    "variants",
    "write_model",
]
