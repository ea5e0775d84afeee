"""Process mining of ticket lifecycles: one function per analysis, as ``ticketlens mine <verb>``.

Every function takes the workspace (a path, or an open DuckDB connection holding the ``events``
table) and an optional ``segment`` (``TicketFilter``), reads ``events`` ordered by
``(ticket_id, event_seq)`` and returns pandas DataFrames: one (``variants``) or a frozen
dataclass of several (the others). ``process_map`` and ``export_xes`` write a file and return
its path.
"""

from __future__ import annotations

from ticketlens.mine.bottlenecks import Bottlenecks, bottlenecks
from ticketlens.mine.conformance import Conformance, conformance
from ticketlens.mine.dfg import DirectlyFollowsGraph, dfg
from ticketlens.mine.handover import HandoverNetwork, handover
from ticketlens.mine.model import ReferenceModel, default_model_path, load_model
from ticketlens.mine.process_map import process_map, to_dot
from ticketlens.mine.rework import Rework, rework
from ticketlens.mine.variants import variants
from ticketlens.mine.xes import export_xes

__all__ = [
    "Bottlenecks",
    "Conformance",
    "DirectlyFollowsGraph",
    "HandoverNetwork",
    "ReferenceModel",
    "Rework",
    "bottlenecks",
    "conformance",
    "default_model_path",
    "dfg",
    "export_xes",
    "handover",
    "load_model",
    "process_map",
    "rework",
    "to_dot",
    "variants",
]
