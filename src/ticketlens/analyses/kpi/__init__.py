"""Service KPIs over the SLA facts: MTTR, FRT, breach rates, backlog, Pareto, peak load,
technician workload, CSAT, and the statistical checks (chi-square, Mann–Whitney)."""

from ticketlens.analyses.kpi.api import KpiReport, kpi, write_tables
from ticketlens.analyses.kpi.tables import KPI_TABLES

__all__ = ["KPI_TABLES", "KpiReport", "kpi", "write_tables"]
