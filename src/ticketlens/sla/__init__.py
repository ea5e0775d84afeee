"""SLA clocks as ITSM tools define them: policies, calendars, per-ticket facts."""

from ticketlens.sla.api import sla

__all__ = ["sla"]
