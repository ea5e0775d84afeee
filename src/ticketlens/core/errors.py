"""One error hierarchy. The CLI turns any ``TicketlensError`` into one line and exit code 2."""

from __future__ import annotations


class TicketlensError(Exception):
    """Base of every error ticketlens raises on purpose.

    The message says what is wrong, where, and how to fix it.
    """

    exit_code = 2


class ConfigError(TicketlensError):
    """A configuration file or option is invalid (desk TOML, SLA policy, mapping)."""


class SchemaError(TicketlensError):
    """Data does not have the columns or types ticketlens needs."""


class InputError(TicketlensError):
    """An input file cannot be read or understood as given."""


class WorkspaceError(TicketlensError):
    """The DuckDB workspace is missing, empty, or from an incompatible version."""


class AnalysisError(TicketlensError):
    """An analysis cannot be computed on the data given (and says why)."""
