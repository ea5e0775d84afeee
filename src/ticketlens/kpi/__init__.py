"""Service KPIs over the SLA facts: MTTR, FRT, breach rates, backlog, Pareto, peak load."""

from ticketlens.kpi.api import kpi

__all__ = ["kpi"]
