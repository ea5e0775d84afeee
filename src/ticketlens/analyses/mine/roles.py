"""The lifecycle roles the mining analyses decide by, read from the workspace
(``activity_roles``; the ticketlens vocabulary where none are stored) and registered as
``mine_roles`` (one row per activity and role: ``activity``, ``role``, ``tier``, ``state``)."""

from __future__ import annotations

from ticketlens.analyses.mine.source import EventLog
from ticketlens.core.lifecycle import ActivityRoles, Role
from ticketlens.workspace.roles import read_roles, roles_arrow


def register_roles(log: EventLog) -> ActivityRoles:
    """Register ``mine_roles`` on ``log`` and return the roles in force."""
    roles = read_roles(log.con)
    if "mine_roles" not in log.registered:
        log.register("mine_roles", roles_arrow(roles))  # type: ignore[arg-type]
    return roles


def chosen(given: tuple[str, ...] | None, roles: ActivityRoles, *wanted: Role) -> list[str]:
    """The caller's activities when given, else those with any of ``wanted`` roles."""
    return list(given) if given is not None else list(roles.ordered(*wanted))
