"""SLA clocks as ITSM tools define them: policies, calendars, per-ticket facts.

``sla(db, ...)`` computes and stores the facts of a workspace; ``compute_facts(con, ...)`` is
the same engine on any DuckDB connection holding an ``events`` table (for example an
in-memory workspace filled with ``insert_events``), so every breach in ticketlens is decided by
one definition.
"""

from ticketlens.analyses.sla.api import sla
from ticketlens.analyses.sla.engine import FactsResult, compute_facts, insert_events, metric_facts
from ticketlens.analyses.sla.fit import PolicyFit, fit_policy
from ticketlens.clock.policy import Policy, load_policy, preset_names

__all__ = ["FactsResult", "Policy", "PolicyFit", "compute_facts", "fit_policy", "insert_events",
           "load_policy", "metric_facts", "preset_names", "sla"]
