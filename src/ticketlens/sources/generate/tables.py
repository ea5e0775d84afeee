"""Arrow tables of one chunk: the event log and the linked banking tables.

Everything here is *derived* from the chunk's simulated tickets and their written events: the
linked tables never draw a fact that the event log contradicts. Ticket-level facts come from the
events as written (window end applied): created_at is the Ticket Created event, status follows
the last event, closed_at is the last Ticket Closed while the ticket is closed, priority is the
priority in force at the last event, assigned_engineer is whoever holds the ticket last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ticketlens.core.schema import (
    ACTIVITIES,
    CATEGORIES,
    DEPARTMENTS,
    EVENT_LOG_COLUMNS,
    PRIORITIES,
    UNASSIGNED,
    Activity,
)
from ticketlens.sources.generate.arrivals import choose
from ticketlens.sources.generate.config import CHANNELS, DeskConfig, Weights
from ticketlens.sources.generate.simulate import Chunk, Simulation
from ticketlens.sources.generate.slots import SLOT_ACTIVITY
from ticketlens.sources.generate.texts import BODY_POOL, NOTE_POOL, SUBJECT_POOL

STATUSES = ("Open", "Pending", "Resolved", "Closed")
PENDING_ACTIVITIES = (Activity.AWAITING_USER, Activity.AWAITING_PARTS, Activity.ON_HOLD,
                      Activity.RESOLUTION_PROPOSED)
ROOT_CAUSES = ("Code Bug", "Server Overload", "User Error", "Configuration Error",
               "Hardware Failure", "Network Outage", "Security Threat", "Third-Party Vendor")
# Root-cause shares by category, rows in CATEGORIES order, columns in ROOT_CAUSES order.
_ROOT_CAUSE_MIX = np.array([
    [0.45, 0.05, 0.20, 0.20, 0.00, 0.00, 0.00, 0.10],  # Software
    [0.00, 0.00, 0.15, 0.05, 0.70, 0.00, 0.00, 0.10],  # Hardware
    [0.00, 0.10, 0.05, 0.25, 0.10, 0.40, 0.00, 0.10],  # Network
    [0.05, 0.00, 0.30, 0.15, 0.00, 0.00, 0.45, 0.05],  # Security
    [0.05, 0.00, 0.55, 0.35, 0.00, 0.00, 0.05, 0.00],  # Access
    [0.20, 0.55, 0.00, 0.15, 0.05, 0.00, 0.00, 0.05],  # Performance
])
FIX_TYPES = ("Permanent", "Patch", "Workaround")
_LASTING_FIXES = Weights(("Permanent", "Patch"), (0.70, 0.30))
REGIONS = Weights(("North America", "Latin America", "Europe", "Middle East & Africa",
                   "Asia Pacific"), (0.35, 0.10, 0.30, 0.10, 0.15))
# Transaction-failure tickets: categories that can fail transactions, and per system the
# transactions per minute at stake and the average transaction value (USD).
TRANSACTION_CATEGORIES = ("Software", "Network", "Performance", "Security")
_TX_PER_MINUTE = {"Core Banking": 400, "Mobile App": 250, "ATM Switch": 120,
                  "Internet Banking": 300, "Payments Gateway": 500}
_TX_VALUE = {"Core Banking": 850.0, "Mobile App": 120.0, "ATM Switch": 150.0,
             "Internet Banking": 400.0, "Payments Gateway": 1200.0}
# Share of the transactions at stake that fail, by final priority (Critical = outage).
_FAILING_SHARE = np.array([0.30, 0.05, 0.005, 0.001])

_DICT = pa.dictionary(pa.int32(), pa.string())
_TS = pa.timestamp("s")
EVENT_SCHEMA = pa.schema([
    ("event_id", pa.int64()), ("timestamp", _TS), ("ticket_id", pa.string()),
    ("activity", _DICT), ("assigned_to", _DICT), ("priority", _DICT), ("category", _DICT),
    ("department", _DICT), ("notes", _DICT),
])
assert tuple(EVENT_SCHEMA.names) == EVENT_LOG_COLUMNS
TICKET_SCHEMA = pa.schema([
    ("ticket_id", pa.string()), ("customer_id", pa.string()), ("subject", pa.string()),
    ("body", pa.string()), ("created_at", _TS), ("closed_at", _TS), ("status", _DICT),
    ("priority", _DICT), ("category", _DICT), ("system", _DICT), ("channel", _DICT),
    ("department", _DICT),
])
OWNERSHIP_SCHEMA = pa.schema([
    ("ticket_id", pa.string()), ("assigned_team", _DICT), ("assigned_engineer", _DICT),
    ("root_cause_category", _DICT), ("fix_type", _DICT), ("is_repeat_incident", pa.bool_()),
])
BUSINESS_IMPACT_SCHEMA = pa.schema([
    ("ticket_id", pa.string()), ("failed_transaction_count", pa.int64()),
    ("estimated_financial_loss", pa.float64()), ("affected_region", _DICT),
])

_SLOT_ACTIVITY_CODE = np.array([ACTIVITIES.index(a) for a in SLOT_ACTIVITY], dtype=np.int32)
_CLOSED = ACTIVITIES.index(Activity.CLOSED)
_RESOLVED = ACTIVITIES.index(Activity.RESOLVED)
_REOPENED = ACTIVITIES.index(Activity.REOPENED)
_STATUS_OF_ACTIVITY = np.zeros(len(ACTIVITIES), dtype=np.int32)
_STATUS_OF_ACTIVITY[[ACTIVITIES.index(a) for a in PENDING_ACTIVITIES]] = 1
_STATUS_OF_ACTIVITY[_RESOLVED] = 2
_STATUS_OF_ACTIVITY[_CLOSED] = 3


def systems_vocabulary(config: DeskConfig) -> tuple[str, ...]:
    names = [n for w in config.systems.by_category for n in w.names]
    return tuple(dict.fromkeys([*names, *config.systems.transaction_systems]))


def _dict(indices: np.ndarray, values: tuple[str, ...], mask: np.ndarray | None = None
          ) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(indices.astype(np.int32), pa.int32(), mask=mask), pa.array(values, pa.string()))


def _padded(prefix: str, number: np.ndarray, width: np.ndarray | int) -> pa.Array:
    """``prefix`` + number zero-padded to ``width`` digits, vectorised (10**w + n, minus '1')."""
    shifted = np.power(10, np.asarray(width, dtype=np.int64)) + number.astype(np.int64)
    digits = pc.utf8_slice_codeunits(pa.array(shifted).cast(pa.string()), 1)
    return pc.binary_join_element_wise(prefix, digits, "")


def ticket_ids(chunk: Chunk) -> pa.Array:
    """``TKT-YYYYMMDD-NNN``: creation date and the ticket's number that day (3 digits, more
    only on a day with over 999 tickets)."""
    days = chunk.arrivals.day.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    ymd = (years * 10000 + (months.astype(np.int64) % 12 + 1) * 100
           + (days - months).astype(np.int64) + 1)
    dates = pa.array(ymd).cast(pa.string())
    sequence = _padded("", chunk.arrivals.sequence, chunk.arrivals.day_width)
    return pc.binary_join_element_wise("TKT-", dates, "-", sequence, "")


@dataclass(frozen=True)
class TicketFacts:
    """Per ticket, read off its written events."""

    ids: pa.Array
    status: np.ndarray          # index into STATUSES
    closed_at: np.ndarray       # int64 seconds, -1 when not closed
    priority: np.ndarray        # final priority index
    holder: np.ndarray          # final holder, -1 = nobody
    first_resolved: np.ndarray  # int64 seconds of the first Ticket Resolved, -1 = none
    resolved: np.ndarray        # bool: resolved or closed with a resolution
    reopened: np.ndarray        # bool: any Ticket Reopened


def ticket_facts(chunk: Chunk) -> TicketFacts:
    n = chunk.tickets
    activity = _SLOT_ACTIVITY_CODE[chunk.event_slot]
    counts = np.bincount(chunk.event_ticket, minlength=n)
    last = np.cumsum(counts) - 1
    status = _STATUS_OF_ACTIVITY[activity[last]]
    closed_at = np.where(status == 3, chunk.event_time[last], -1)
    first_resolved = np.full(n, -1, dtype=np.int64)
    where = np.flatnonzero(activity == _RESOLVED)
    tickets, first = np.unique(chunk.event_ticket[where], return_index=True)
    first_resolved[tickets] = chunk.event_time[where[first]]
    reopened = np.bincount(chunk.event_ticket[activity == _REOPENED], minlength=n) > 0
    return TicketFacts(
        ids=ticket_ids(chunk),
        status=status,
        closed_at=closed_at,
        priority=chunk.event_priority[last].astype(np.int64),
        holder=chunk.event_holder[last].astype(np.int64),
        first_resolved=first_resolved,
        resolved=(status >= 2) & (first_resolved >= 0),
        reopened=reopened,
    )


def events_table(sim: Simulation, chunk: Chunk, facts: TicketFacts, first_event_id: int
                 ) -> pa.Table:
    rows = chunk.event_ticket
    names = (UNASSIGNED, *sim.roster.names)
    return pa.Table.from_arrays([
        pa.array(np.arange(first_event_id, first_event_id + len(rows), dtype=np.int64)),
        pa.array(chunk.event_time, _TS),
        facts.ids.take(pa.array(rows)),
        _dict(_SLOT_ACTIVITY_CODE[chunk.event_slot], ACTIVITIES),
        _dict(chunk.event_holder.astype(np.int64) + 1, names),
        _dict(chunk.event_priority, PRIORITIES),
        _dict(chunk.draws.category[rows], CATEGORIES),
        _dict(chunk.department[rows], DEPARTMENTS),
        _dict(chunk.event_note, NOTE_POOL.strings),
    ], schema=EVENT_SCHEMA)


def tickets_table(sim: Simulation, chunk: Chunk, facts: TicketFacts) -> pa.Table:
    config = sim.config
    category = chunk.draws.category.astype(np.int64)
    systems = systems_vocabulary(config)
    system = _system(config, systems, category, chunk.table_u("system"))
    channel = _channel(config, chunk.draws.priority == 0, chunk.table_u("channel"))
    population = max(1000, config.window.tickets // 3)
    customer = (population * chunk.table_u("customer") ** 2).astype(np.int64) + 1
    subject = SUBJECT_POOL.pick(np.zeros_like(category), category, chunk.table_u("subject"))
    body = BODY_POOL.pick(np.zeros_like(category), category, chunk.table_u("body"))
    system_names = pa.array(systems).take(pa.array(system))
    subject_text = pc.binary_join_element_wise(
        system_names, pa.array(SUBJECT_POOL.strings).take(pa.array(subject)), ": ")
    body_text = pc.binary_join_element_wise(
        pa.array(BODY_POOL.strings).take(pa.array(body)), system_names, " Affected system: ")
    body_text = pc.binary_join_element_wise(body_text, ".", "")
    closed = facts.closed_at >= 0
    return pa.Table.from_arrays([
        facts.ids,
        _padded("CUST-", customer, max(6, len(str(population)))),
        subject_text,
        body_text,
        pa.array(chunk.arrivals.created, _TS),
        pa.array(np.where(closed, facts.closed_at, 0), _TS, mask=~closed),
        _dict(facts.status, STATUSES),
        _dict(facts.priority, PRIORITIES),
        _dict(category, CATEGORIES),
        _dict(system, systems),
        _dict(channel, CHANNELS),
        _dict(chunk.department, DEPARTMENTS),
    ], schema=TICKET_SCHEMA)


def ownership_table(sim: Simulation, chunk: Chunk, facts: TicketFacts) -> pa.Table:
    roster = sim.roster
    nobody = facts.holder < 0
    member = roster.member(np.maximum(facts.holder, 0))
    teams = tuple(dict.fromkeys(roster.team_name))
    team = np.array([teams.index(t) for t in roster.team_name], dtype=np.int64)[member]
    category = chunk.draws.category.astype(np.int64)
    cumulative = np.cumsum(_ROOT_CAUSE_MIX, axis=1)[category]
    root = (cumulative <= chunk.table_u("root_cause")[:, None]).sum(axis=1)
    root = np.minimum(root, len(ROOT_CAUSES) - 1)
    # A ticket resolved by a workaround says so; the others were fixed for good or patched.
    fix = np.where(chunk.journey.workaround, FIX_TYPES.index("Workaround"),
                   choose(_LASTING_FIXES, FIX_TYPES, chunk.table_u("fix_type")))
    unknown = ~facts.resolved  # no resolution yet: the cause and the fix are not known
    return pa.Table.from_arrays([
        facts.ids,
        _dict(team, teams, mask=nobody),
        _dict(np.maximum(facts.holder, 0), roster.names, mask=nobody),
        _dict(root, ROOT_CAUSES, mask=unknown),
        _dict(fix, FIX_TYPES, mask=unknown),
        pa.array(facts.reopened),
    ], schema=OWNERSHIP_SCHEMA)


def business_impact_table(sim: Simulation, chunk: Chunk, facts: TicketFacts,
                          tickets: pa.Table) -> pa.Table:
    """Transaction-failure tickets only: a transaction system, a category that can fail
    payments, and the configured failure rate. Failed transactions scale with the minutes from
    creation to the first resolution (or the window's end) and the final priority."""
    config = sim.config
    systems = systems_vocabulary(config)
    system = tickets.column("system").combine_chunks().indices.to_numpy()
    tx_system = np.isin(np.array(systems), config.systems.transaction_systems)[system]
    tx_category = np.isin(chunk.draws.category,
                          [CATEGORIES.index(c) for c in TRANSACTION_CATEGORIES])
    failing = tx_system & tx_category & (
        chunk.table_u("transaction_failure") < config.systems.transaction_failure_rate)
    rows = np.flatnonzero(failing)
    end = np.where(facts.first_resolved[rows] >= 0, facts.first_resolved[rows], sim.window_end)
    minutes = (end - chunk.arrivals.created[rows]) / 60.0
    per_minute = np.array([_TX_PER_MINUTE.get(s, 50) for s in systems])[system[rows]]
    value = np.array([_TX_VALUE.get(s, 100.0) for s in systems])[system[rows]]
    failed = np.rint(per_minute * minutes * _FAILING_SHARE[facts.priority[rows]]
                     * (0.5 + chunk.table_u("failed_scale")[rows])).astype(np.int64)
    loss = np.round(failed * value * (0.01 + 0.04 * chunk.table_u("loss_rate")[rows]), 2)
    region = choose(REGIONS, REGIONS.names, chunk.table_u("region")[rows])
    return pa.Table.from_arrays([
        facts.ids.take(pa.array(rows, pa.int64())),
        pa.array(failed, pa.int64()),
        pa.array(loss, pa.float64()),
        _dict(region, REGIONS.names),
    ], schema=BUSINESS_IMPACT_SCHEMA)


def _system(config: DeskConfig, systems: tuple[str, ...], category: np.ndarray,
            u: np.ndarray) -> np.ndarray:
    out = np.zeros(len(category), dtype=np.int64)
    for c, weights in enumerate(config.systems.by_category):
        rows = category == c
        out[rows] = choose(weights, systems, u[rows]).astype(np.int64)
    return out


def _channel(config: DeskConfig, critical: np.ndarray, u: np.ndarray) -> np.ndarray:
    share = config.patterns.critical_phone_share
    normal = choose(config.mix.channel, CHANNELS, u).astype(np.int64)
    rescaled = np.clip((u - share) / max(1e-12, 1 - share), 0, np.nextafter(1, 0))
    critical_other = choose(config.mix.channel, CHANNELS, rescaled).astype(np.int64)
    critical_pick = np.where(u < share, CHANNELS.index("Phone"), critical_other)
    return np.where(critical, critical_pick, normal)
