"""The fixed template every generated ticket's journey follows: its slots in time order, each
with the activity it writes, the clock its duration runs on, whether it counts towards the
holder's workload and its note group (``journey.py`` lays journeys out on it)."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from ticketlens.core.schema import Activity


class Clock(IntEnum):
    WALL = 0      # plain elapsed time (escalations: 24/7)
    BUSINESS = 1  # business time (Critical tickets: wall)
    SNAP = 2      # elapsed time, then moved into the next business moment (Critical: wall)
    WEEKEND = 3   # the next weekend morning (weekend warriors)
    GAP = 4       # placed inside the gap before the next slot (workload reassignments)


A = Activity
# name, activity, clock, counts towards the holder's workload, note group
SLOTS: tuple[tuple[str, Activity, Clock, bool, str], ...] = (
    ("created", A.CREATED, Clock.WALL, False, "created"),
    ("assigned", A.ASSIGNED, Clock.BUSINESS, True, "assigned"),
    ("workload_l1", A.REASSIGNED, Clock.GAP, True, "workload"),
    ("work_started", A.WORK_STARTED, Clock.BUSINESS, True, "work_started"),
    ("priority_creep", A.PRIORITY_CHANGED, Clock.BUSINESS, True, "priority_changed"),
    ("await_user", A.AWAITING_USER, Clock.BUSINESS, True, "awaiting_user"),
    ("user_responded", A.USER_RESPONDED, Clock.SNAP, True, "user_responded"),
    ("resume_user", A.WORK_RESUMED, Clock.BUSINESS, True, "resume_user"),
    ("escalated_l2", A.ESCALATED_L2, Clock.WALL, True, "escalated_l2"),
    ("workload_l2", A.REASSIGNED, Clock.GAP, True, "workload"),
    ("resume_l2", A.WORK_RESUMED, Clock.BUSINESS, True, "resume_l2"),
    ("reroute", A.REASSIGNED, Clock.BUSINESS, True, "reroute"),
    ("ping", A.REASSIGNED, Clock.BUSINESS, True, "ping"),
    ("pong", A.REASSIGNED, Clock.BUSINESS, True, "pong"),
    ("escalated_l3", A.ESCALATED_L3, Clock.WALL, True, "escalated_l3"),
    ("resume_l3", A.WORK_RESUMED, Clock.BUSINESS, True, "resume_l3"),
    ("escalated_manager", A.ESCALATED_MANAGER, Clock.WALL, True, "escalated_manager"),
    ("de_escalated", A.DE_ESCALATED, Clock.SNAP, True, "de_escalated"),
    ("await_parts", A.AWAITING_PARTS, Clock.BUSINESS, True, "awaiting_parts"),
    ("parts_received", A.PARTS_RECEIVED, Clock.BUSINESS, True, "parts_received"),
    ("resume_parts", A.WORK_RESUMED, Clock.BUSINESS, True, "resume_parts"),
    ("on_hold", A.ON_HOLD, Clock.BUSINESS, True, "on_hold"),
    ("hold_released", A.HOLD_RELEASED, Clock.BUSINESS, True, "hold_released"),
    ("resume_hold", A.WORK_RESUMED, Clock.BUSINESS, True, "resume_hold"),
    ("weekend", A.WORK_RESUMED, Clock.WEEKEND, True, "weekend"),
    ("proposed", A.RESOLUTION_PROPOSED, Clock.BUSINESS, True, "proposed"),
    ("resolved", A.RESOLVED, Clock.SNAP, False, "resolved"),
    ("closed", A.CLOSED, Clock.BUSINESS, False, "closed"),
    ("reopened", A.REOPENED, Clock.BUSINESS, True, "reopened"),
    ("resume_reopen", A.WORK_RESUMED, Clock.BUSINESS, True, "resume_reopen"),
    ("resolved_again", A.RESOLVED, Clock.BUSINESS, False, "resolved"),
    ("closed_again", A.CLOSED, Clock.BUSINESS, False, "closed"),
    ("zombie", A.REOPENED, Clock.SNAP, True, "zombie"),
    ("resume_zombie", A.WORK_RESUMED, Clock.BUSINESS, True, "resume_zombie"),
    ("resolved_zombie", A.RESOLVED, Clock.BUSINESS, False, "resolved"),
    ("closed_zombie", A.CLOSED, Clock.BUSINESS, False, "closed"),
)
S = {name: i for i, (name, *_rest) in enumerate(SLOTS)}
N_SLOTS = len(SLOTS)
SLOT_ACTIVITY = tuple(a for _, a, *_ in SLOTS)
SLOT_CLOCK = np.array([c for _, _, c, *_ in SLOTS], dtype=np.int8)
SLOT_ACTIVE = np.array([act for *_, act, _ in SLOTS], dtype=bool)
SLOT_NOTE_GROUP = tuple(g for *_, g in SLOTS)

# Steps where the desk, not the user or the work, sets the pace (``urgency_pace``): the
# dispatch, the tries before escalating, the hand-overs, and confirming the fix with the user
# (the desk calls the user back at once about an outage; others answer when they see it).
PACED_SLOTS = ("assigned", "escalated_l2", "escalated_l3", "resume_l2", "reroute", "ping", "pong",
                "resume_l3", "resolved")


CHANGE_SLOTS = frozenset(("assigned", "workload_l1", "escalated_l2", "workload_l2", "reroute",
                           "ping", "pong", "escalated_l3", "escalated_manager", "de_escalated"))
CHANGES = np.array([name in CHANGE_SLOTS for name, *_ in SLOTS])
