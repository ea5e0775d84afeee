"""Analyses over a workspace: ``sla`` facts, ``kpi`` (reads sla), ``mine``."""
