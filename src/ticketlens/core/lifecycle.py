"""Lifecycle roles: what each activity *means* to a ticket, defined once.

Every verb decides behaviour through roles, never through activity names: an SLA policy says
which roles start, pause and stop its clocks, ``mine`` finds reopens, escalations and the
time split through them, ``kpi`` counts through them. A source declares the roles of its own
activities (its ingest mapping, or a roles file the user passes); the generated desk's
activities get theirs here, in ``VOCABULARY``. The roles in force are stored per workspace
(table ``activity_roles``), each with its origin.

Roles file format (also the ``[roles]`` section of a mapping; see docs/ingest.md)::

    tiers = ["L1", "L2", "L3"]           # escalation tiers, lowest first
    entry_tier = "L1"                    # tier of whoever takes a ticket on an assignment
    created_attribute = "opened_at"      # case attribute holding the creation instant
    [activities]
    "Escalated to L2" = { roles = ["escalation"], tier = "L2", state = "in_queue" }
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

from ticketlens.core.config import reject_unknown_keys
from ticketlens.core.errors import ConfigError
from ticketlens.core.schema import TIERS, Activity, Tier


class Role(StrEnum):
    """What an activity means to a ticket. An activity may have several roles."""

    CREATION = "creation"
    FIRST_RESPONSE = "first_response"  # a technician's first visible action
    ASSIGNMENT = "assignment"
    REASSIGNMENT = "reassignment"
    ESCALATION = "escalation"  # to the entry's tier
    DE_ESCALATION = "de_escalation"
    PRIORITY_CHANGE = "priority_change"
    WAITING_USER = "waiting_user"  # pauses: waiting on the user / parts / hold / anything else
    WAITING_PARTS = "waiting_parts"
    ON_HOLD = "on_hold"
    WAITING_OTHER = "waiting_other"
    RESUME = "resume"  # a pause ends (any of the four below, or a source's generic resume)
    USER_RESPONDED = "user_responded"
    PARTS_RECEIVED = "parts_received"
    HOLD_RELEASED = "hold_released"
    WORK_START = "work_start"  # hands-on work starts / resumes
    WORK_RESUME = "work_resume"
    RESOLUTION_PROPOSED = "resolution_proposed"
    RESOLUTION = "resolution"
    CLOSURE = "closure"
    REOPEN = "reopen"  # counted only after a resolution or closure


class State(StrEnum):
    """The state a ticket is in after an activity (the bottleneck time split)."""

    IN_QUEUE = "in_queue"
    IN_WORK = "in_work"
    WAITING_USER = "waiting_user"
    WAITING_PARTS = "waiting_parts"
    ON_HOLD = "on_hold"
    AWAITING_CLOSURE = "awaiting_closure"
    CLOSED = "closed"
    KEEP = "keep"  # the state before carries on


ROLES: Final = tuple(r.value for r in Role)
STATES: Final = tuple(s.value for s in State)
VOCABULARY_ORIGIN: Final = "ticketlens vocabulary"


@dataclass(frozen=True)
class ActivityRole:
    """One activity's roles, the tier an escalation reaches, the state after it, and where
    that knowledge came from (``roles file <path>``, ``mapping <name>``, ``inferred: ...``,
    ``ticketlens vocabulary``)."""

    activity: str
    roles: frozenset[Role]
    tier: str | None = None
    state: State | None = None  # None: not declared (the time split calls it unclassified)
    origin: str = VOCABULARY_ORIGIN


@dataclass(frozen=True)
class ActivityRoles:
    """The roles in force for a set of activities (immutable; declaration order kept)."""

    entries: tuple[ActivityRole, ...] = ()
    tiers: tuple[str, ...] = ()
    entry_tier: str | None = None
    created_attribute: str | None = None
    origin: str = VOCABULARY_ORIGIN  # of tiers / entry_tier / created_attribute
    _index: Mapping[str, ActivityRole] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {e.activity: e for e in self.entries})

    @property
    def activities(self) -> tuple[str, ...]:
        return tuple(e.activity for e in self.entries)

    def get(self, activity: str) -> ActivityRole | None:
        return self._index.get(activity)

    def having(self, *roles: Role | str) -> frozenset[str]:
        """The activities with any of ``roles``."""
        wanted = {Role(r) for r in roles}
        return frozenset(e.activity for e in self.entries if e.roles & wanted)

    def ordered(self, *roles: Role | str) -> tuple[str, ...]:
        """``having`` in declaration order (for SQL parameters)."""
        chosen = self.having(*roles)
        return tuple(a for a in self.activities if a in chosen)

    def escalations(self) -> dict[str, str]:
        """Escalation activity -> tier it reaches (escalations without a tier are left out)."""
        return {e.activity: e.tier for e in self.entries
                if Role.ESCALATION in e.roles and e.tier is not None}

    def states(self) -> dict[str, State]:
        return {e.activity: e.state for e in self.entries if e.state is not None}

    def over(self, lower: ActivityRoles) -> ActivityRoles:
        """These roles, then ``lower``'s for activities these do not declare (precedence)."""
        entries = (*lower.entries_not_in(set(self.activities)), *self.entries)
        keep_self = bool(self.tiers or self.entry_tier or self.created_attribute)
        return ActivityRoles(
            entries=_reorder(entries, lower.activities),
            tiers=self.tiers or lower.tiers,
            entry_tier=self.entry_tier or lower.entry_tier,
            created_attribute=self.created_attribute or lower.created_attribute,
            origin=self.origin if keep_self else lower.origin,
        )

    def entries_not_in(self, names: set[str]) -> tuple[ActivityRole, ...]:
        return tuple(e for e in self.entries if e.activity not in names)

    def rows(self, source_id: int) -> list[tuple[Any, ...]]:
        """One row per activity and role (an activity without roles: one row, role NULL), as
        stored in the workspace table ``activity_roles``."""
        rows: list[tuple[Any, ...]] = []
        for position, e in enumerate(self.entries):
            state = e.state.value if e.state is not None else None
            for role in sorted(e.roles) or [None]:
                rows.append((e.activity, role, e.tier, state, e.origin, source_id, position))
        return rows


def _reorder(entries: Iterable[ActivityRole], first: tuple[str, ...]) -> tuple[ActivityRole, ...]:
    """Keep the lower layer's activity order, new activities after it."""
    by_name = {e.activity: e for e in entries}
    ordered = [by_name.pop(a) for a in first if a in by_name]
    return (*ordered, *by_name.values())


def from_rows(rows: Iterable[tuple[Any, ...]], settings: Mapping[str, tuple[Any, str]]
              ) -> ActivityRoles:
    """Rebuild roles from ``activity_roles`` rows (activity, role, tier, state, origin) in
    order, and settings (key -> (value, origin))."""
    found: dict[str, dict[str, Any]] = {}
    for activity, role, tier, state, origin in rows:
        entry = found.setdefault(activity, {"roles": set(), "tier": tier, "state": state,
                                            "origin": origin})
        if role is not None:
            entry["roles"].add(Role(role))
    entries = tuple(ActivityRole(a, frozenset(v["roles"]), v["tier"],
                                 State(v["state"]) if v["state"] else None, v["origin"])
                    for a, v in found.items())
    tiers = settings.get("tiers", ((), VOCABULARY_ORIGIN))[0]
    return ActivityRoles(
        entries=entries, tiers=tuple(tiers),
        entry_tier=settings.get("entry_tier", (None, ""))[0],
        created_attribute=settings.get("created_attribute", (None, ""))[0],
        origin=next((o for _, o in settings.values()), VOCABULARY_ORIGIN),
    )


_KEYS = ("tiers", "entry_tier", "created_attribute", "activities", "vocabulary")
_ENTRY_KEYS = ("roles", "tier", "state")


def parse_roles(raw: Mapping[str, Any], origin: str) -> ActivityRoles:
    """Validate a roles document (a roles file, or a mapping's ``[roles]``); errors name
    ``origin`` and the key."""
    if "lifecycle" in raw or "metrics" in raw:
        raise ConfigError(f"{origin}: this looks like an SLA policy, not a roles file "
                          "(roles files have [activities] entries; see docs/ingest.md)")
    reject_unknown_keys(raw, _KEYS, origin)
    tiers = raw.get("tiers", [])
    if not isinstance(tiers, list) or not all(isinstance(t, str) and t for t in tiers):
        raise ConfigError(f"{origin}: tiers: must be a list of tier names, lowest first")
    entry_tier = raw.get("entry_tier")
    if entry_tier is not None and entry_tier not in tiers:
        raise ConfigError(f"{origin}: entry_tier: unknown tier {entry_tier!r}; "
                          f"declare it in tiers ({', '.join(tiers)})")
    created_attribute = raw.get("created_attribute")
    if created_attribute is not None and (not isinstance(created_attribute, str)
                                          or not created_attribute):
        raise ConfigError(f"{origin}: created_attribute: must be a case attribute name")
    activities = raw.get("activities", {})
    if not isinstance(activities, dict):
        raise ConfigError(f"{origin}: [activities] must be a table of activity = "
                          "{ roles = [...], tier = ..., state = ... }")
    entries = [_parse_entry(origin, name, body, tuple(tiers)) for name, body in activities.items()]
    base = VOCABULARY if raw.get("vocabulary") == "ticketlens" else ActivityRoles()
    if "vocabulary" in raw and raw["vocabulary"] != "ticketlens":
        raise ConfigError(f"{origin}: vocabulary: the only value is \"ticketlens\" (the "
                          "generated desk's activities)")
    own = ActivityRoles(tuple(entries), tuple(tiers), entry_tier, created_attribute, origin)
    if created_attribute is not None and not own.over(base).having(Role.CREATION):
        raise ConfigError(f"{origin}: created_attribute: creation events taken from an "
                          "attribute need an activity with the creation role to be called by")
    return own.over(base) if base.entries else own


def _parse_entry(origin: str, name: str, body: Any, tiers: tuple[str, ...]) -> ActivityRole:
    where = f"{origin}: activities.{name!r}"
    if isinstance(body, list):
        body = {"roles": body}
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: must be a table {{ roles = [...], tier = ..., state = ... }}")
    reject_unknown_keys(body, _ENTRY_KEYS, where)
    roles = body.get("roles", [])
    if isinstance(roles, str):
        roles = [roles]
    unknown = [r for r in roles if r not in ROLES] if isinstance(roles, list) else [roles]
    if unknown:
        raise ConfigError(f"{where}: unknown role {unknown[0]!r}; roles: {', '.join(ROLES)}")
    state = body.get("state")
    if state is not None and state not in STATES:
        raise ConfigError(f"{where}: unknown state {state!r}; states: {', '.join(STATES)}")
    tier = body.get("tier")
    if tier is not None and tier not in tiers:
        raise ConfigError(f"{where}: unknown tier {tier!r}; declare it in tiers "
                          f"({', '.join(tiers) or 'none declared'})")
    if Role.REOPEN in roles and ({Role.RESOLUTION, Role.CLOSURE} & set(roles)):
        raise ConfigError(f"{where}: a reopen cannot be a resolution or closure")
    return ActivityRole(name, frozenset(Role(r) for r in roles), tier,
                        State(state) if state else None, origin)


def with_origin(roles: ActivityRoles, origin: str) -> ActivityRoles:
    """The same roles, every entry and setting credited to ``origin``."""
    return replace(roles, entries=tuple(replace(e, origin=origin) for e in roles.entries),
                   origin=origin)


def _vocabulary() -> ActivityRoles:
    """The generated desk's 20 activities — the only place that names them by meaning."""
    R, S, A = Role, State, Activity
    table: dict[Activity, tuple[tuple[Role, ...], State, str | None]] = {
        A.CREATED: ((R.CREATION,), S.IN_QUEUE, None),
        A.ASSIGNED: ((R.ASSIGNMENT,), S.IN_QUEUE, None),
        A.WORK_STARTED: ((R.FIRST_RESPONSE, R.WORK_START), S.IN_WORK, None),
        A.AWAITING_USER: ((R.FIRST_RESPONSE, R.WAITING_USER), S.WAITING_USER, None),
        A.USER_RESPONDED: ((R.RESUME, R.USER_RESPONDED), S.IN_QUEUE, None),
        A.AWAITING_PARTS: ((R.WAITING_PARTS,), S.WAITING_PARTS, None),
        A.PARTS_RECEIVED: ((R.RESUME, R.PARTS_RECEIVED), S.IN_QUEUE, None),
        A.WORK_RESUMED: ((R.RESUME, R.WORK_RESUME), S.IN_WORK, None),
        A.RESOLUTION_PROPOSED: ((R.FIRST_RESPONSE, R.RESOLUTION_PROPOSED), S.WAITING_USER,
                                None),
        A.RESOLVED: ((R.FIRST_RESPONSE, R.RESOLUTION), S.AWAITING_CLOSURE, None),
        A.CLOSED: ((R.CLOSURE,), S.CLOSED, None),
        A.REASSIGNED: ((R.REASSIGNMENT,), S.IN_QUEUE, None),
        A.ESCALATED_L2: ((R.ESCALATION,), S.IN_QUEUE, Tier.L2),
        A.ESCALATED_L3: ((R.ESCALATION,), S.IN_QUEUE, Tier.L3),
        A.ESCALATED_MANAGER: ((R.ESCALATION,), S.IN_QUEUE, Tier.MANAGER),
        A.DE_ESCALATED: ((R.DE_ESCALATION,), S.IN_QUEUE, None),
        A.REOPENED: ((R.REOPEN,), S.IN_QUEUE, None),
        A.PRIORITY_CHANGED: ((R.PRIORITY_CHANGE,), S.KEEP, None),
        A.ON_HOLD: ((R.ON_HOLD,), S.ON_HOLD, None),
        A.HOLD_RELEASED: ((R.RESUME, R.HOLD_RELEASED), S.IN_QUEUE, None),
    }
    entries = tuple(ActivityRole(a.value, frozenset(roles), tier and str(tier), state)
                    for a, (roles, state, tier) in ((a, table[a]) for a in Activity))
    return ActivityRoles(entries, TIERS, Tier.L1.value)


VOCABULARY: Final = _vocabulary()


def infer_roles(declared: ActivityRoles, first_activities: Mapping[str, int], tickets: int
                ) -> ActivityRoles:
    """Roles the evidence settles where nothing declared them: when no activity has the
    creation role and every ticket starts with the same activity, that activity is the
    creation. ``first_activities``: activity -> tickets starting with it."""
    if declared.having(Role.CREATION) or len(first_activities) != 1:
        return declared
    (activity, count), = first_activities.items()
    if count != tickets:
        return declared
    known = declared.get(activity)
    origin = f"inferred: all {tickets:,} tickets start with it"
    entry = ActivityRole(activity, (known.roles if known else frozenset()) | {Role.CREATION},
                         known.tier if known else None,
                         (known.state if known and known.state else State.IN_QUEUE), origin)
    return ActivityRoles((entry,), origin=declared.origin).over(declared)
