"""The canonical vocabulary of ticketlens, defined once.

Every part of the product imports its column names, activity names and category values
from here; nothing else spells them out.

Two shapes of the event log exist:

* the **event-log CSV** of the brief (``EVENT_LOG_COLUMNS``), which ``generate`` writes and
  ``ingest`` reads back exactly;
* the **workspace** table ``events`` (``WORKSPACE_EVENT_COLUMNS``), one row per event in a
  DuckDB file, ordered once per ticket on the way in (``event_seq``) so every analysis is a
  single grouped pass.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final

# Version of the files a generated desk writes (its manifest says it).
SCHEMA_VERSION: Final = 1
# Version of the workspace tables (workspace/ddl.sql); workspace.connection.migrate upgrades older
# workspaces. 2: technicians.origin, technicians.source_id nullable,
# activity_roles and lifecycle_settings (the lifecycle roles in force per source).
WORKSPACE_SCHEMA_VERSION: Final = 2

# --- the brief's event-log CSV -------------------------------------------------------------

EVENT_LOG_COLUMNS: Final = (
    "event_id",
    "timestamp",
    "ticket_id",
    "activity",
    "assigned_to",
    "priority",
    "category",
    "department",
    "notes",
)
TIMESTAMP_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
# What the CSV writes for "nobody holds the ticket"; the workspace stores NULL instead.
UNASSIGNED: Final = "Unassigned"

# --- workspace column names (pm4py-style keys, same defaults everywhere) ---------------------

CASE: Final = "ticket_id"
ACTIVITY: Final = "activity"
TIMESTAMP: Final = "timestamp"
RESOURCE: Final = "assigned_to"
SEQ: Final = "event_seq"
PRIORITY: Final = "priority"
CATEGORY: Final = "category"
DEPARTMENT: Final = "department"
NOTES: Final = "notes"

WORKSPACE_EVENT_COLUMNS: Final = (
    CASE,
    SEQ,
    TIMESTAMP,
    ACTIVITY,
    RESOURCE,
    PRIORITY,
    CATEGORY,
    DEPARTMENT,
    NOTES,
    "event_id",
    "source_id",
    "source_row",
    "attributes",
)


class Activity(StrEnum):
    """The lifecycle activities of a ticket, exactly as the event log spells them."""

    CREATED = "Ticket Created"
    ASSIGNED = "Ticket Assigned"
    WORK_STARTED = "Work Started"
    AWAITING_USER = "Awaiting User Response"
    USER_RESPONDED = "User Responded"
    AWAITING_PARTS = "Awaiting Parts"
    PARTS_RECEIVED = "Parts Received"
    WORK_RESUMED = "Work Resumed"
    RESOLUTION_PROPOSED = "Resolution Proposed"
    RESOLVED = "Ticket Resolved"
    CLOSED = "Ticket Closed"
    REASSIGNED = "Ticket Reassigned"
    ESCALATED_L2 = "Escalated to L2"
    ESCALATED_L3 = "Escalated to L3"
    ESCALATED_MANAGER = "Escalated to Manager"
    DE_ESCALATED = "De-escalated"
    REOPENED = "Ticket Reopened"
    PRIORITY_CHANGED = "Priority Changed"
    ON_HOLD = "On Hold"
    HOLD_RELEASED = "Hold Released"


ACTIVITIES: Final = tuple(a.value for a in Activity)
ESCALATIONS: Final = (Activity.ESCALATED_L2, Activity.ESCALATED_L3, Activity.ESCALATED_MANAGER)
# Events after which someone new holds the ticket.
ASSIGNMENT_CHANGES: Final = (Activity.ASSIGNED, Activity.REASSIGNED, *ESCALATIONS,
                             Activity.DE_ESCALATED)


class Priority(StrEnum):
    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


PRIORITIES: Final = tuple(p.value for p in Priority)
# Urgency order: a move to a lower rank is an escalation of priority ("priority creep").
PRIORITY_RANK: Final = MappingProxyType({p: i for i, p in enumerate(PRIORITIES)})
PRIORITY_MIX: Final = MappingProxyType(
    {"Critical": 0.05, "High": 0.15, "Medium": 0.50, "Low": 0.30}
)

CATEGORY_MIX: Final = MappingProxyType(
    {
        "Software": 0.30,
        "Hardware": 0.20,
        "Network": 0.15,
        "Security": 0.15,
        "Access": 0.10,
        "Performance": 0.10,
    }
)
CATEGORIES: Final = tuple(CATEGORY_MIX)

DEPARTMENTS: Final = ("Engineering", "Finance", "HR", "Sales", "Operations", "IT")


class Tier(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    MANAGER = "Manager"


TIERS: Final = tuple(t.value for t in Tier)

# --- case attributes every source may carry (names in the workspace's case_attributes) -------

CASE_ATTR_TEAM: Final = "team"            # assignment group / assigned team
CASE_ATTR_SYSTEM: Final = "system"        # affected system / configuration item
CASE_ATTR_CHANNEL: Final = "channel"
CASE_ATTR_CSAT: Final = "csat"            # customer satisfaction rating, numeric text
CASE_ATTR_SOURCE_SLA: Final = "source_made_sla"  # the source tool's own SLA verdict
