"""Short realistic texts: event notes by journey step and category, ticket subjects and bodies.

Texts are pooled once into one string array; events and tickets carry an index into it, so the
writer emits dictionary-encoded columns and no string is built per row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ticketlens.core.schema import CATEGORIES

Pool = tuple[str, ...] | dict[str, tuple[str, ...]]

NOTES: dict[str, Pool] = {
    "created": {
        "Software": ("Application crashes when exporting the monthly report.",
                     "Error 500 when opening the loan approval screen.",
                     "Client freezes after the latest update.",
                     "Batch job failed overnight with a database timeout.",
                     "Cannot save changes in the CRM; form stays greyed out."),
        "Hardware": ("Laptop does not power on after the docking station swap.",
                     "Branch printer jams on every second page.",
                     "ATM card reader reports hardware fault.",
                     "Second monitor flickers and goes black.",
                     "Workstation fan very loud and machine overheats."),
        "Network": ("VPN drops every few minutes when working from home.",
                    "Branch office lost connectivity to the data centre.",
                    "Wi-Fi on floor 3 keeps disconnecting.",
                    "Very high latency to the payments gateway.",
                    "DNS lookups for internal sites fail intermittently."),
        "Security": ("Suspicious login alert on a privileged account.",
                     "Phishing email reported by several users.",
                     "Antivirus flagged a file on a shared drive.",
                     "Certificate expiry warning on internet banking.",
                     "Unusual outbound traffic from a workstation."),
        "Access": ("New joiner needs access to the core banking client.",
                   "Account locked after password reset.",
                   "Request for read access to the finance share.",
                   "MFA token not accepted at login.",
                   "Leaver account still active; please disable."),
        "Performance": ("Core banking screens take over 30 seconds to load.",
                        "End-of-day batch running two hours late.",
                        "Mobile app very slow at peak time.",
                        "Reports time out during month-end close.",
                        "Database CPU at 95 % since this morning."),
    },
    "assigned": ("Picked up from the service desk queue.", "Assigned by dispatcher.",
                 "Auto-assigned by routing rule.", "Taken from the L1 queue."),
    "assigned_vip": ("VIP requester: fast-tracked straight to an L2 specialist.",
                     "Executive office request; routed directly to L2."),
    "workload": ("Reassigned for workload balancing: previous owner over capacity.",
                 "Queue rebalanced; moved to a colleague with fewer open tickets.",
                 "Owner overloaded; redistributed by the team lead."),
    "work_started": {
        "Software": ("Reviewing application logs.", "Reproducing the error in test.",
                     "Checking the recent release notes."),
        "Hardware": ("Running hardware diagnostics.", "Remote check of device health.",
                     "Booked a desk-side visit."),
        "Network": ("Checking interface counters and VPN logs.", "Running traceroute from site.",
                    "Reviewing switch and firewall logs."),
        "Security": ("Isolating the affected account.", "Reviewing SIEM alerts.",
                     "Collecting email headers and samples."),
        "Access": ("Checking group membership in Active Directory.",
                   "Verifying approval for the access request.", "Reviewing account status."),
        "Performance": ("Pulling performance metrics.", "Checking slow query log.",
                        "Comparing load with last month's baseline."),
    },
    "priority_changed": ("Priority raised after a call from the department head.",
                         "Executive pressure: priority raised.",
                         "More users affected than first reported; priority raised."),
    "awaiting_user": ("Asked the user for screenshots and the exact error message.",
                      "Waiting for the user to confirm a time for a remote session.",
                      "Asked the user to test again and report back.",
                      "Requested manager approval from the user."),
    "user_responded": ("User replied with the requested details.", "User sent screenshots.",
                       "User available now; continuing."),
    "resume_user": ("Resuming with the user's information.", "Continuing after user reply."),
    "escalated_l2": {
        "Software": ("Beyond L1 troubleshooting; needs application support.",
                     "Escalated to L2: suspected defect in the release."),
        "Hardware": ("Needs hardware specialist; escalated to L2.",
                     "Device fault beyond L1; escalated."),
        "Network": ("Needs network specialist; escalated to L2.",
                    "Site-wide connectivity issue; escalated."),
        "Security": ("Possible incident; escalated to security.",
                     "Escalated to L2 security for investigation."),
        "Access": ("Requires elevated rights; escalated to L2.",
                   "Access model unclear; escalated."),
        "Performance": ("Needs database/server specialist; escalated.",
                        "Capacity issue suspected; escalated to L2."),
    },
    "resume_l2": ("Specialist reviewing the case history.", "L2 picked up the escalation."),
    "reroute": ("Outside my area; reassigning to the right specialist.",
                "Wrong queue; moving to the owning team."),
    "ping": ("Sending back: this looks like an application issue rather than infrastructure.",
             "Not ours after all; returning to the previous team."),
    "pong": ("Returned again: the logs point to the other side.",
             "Bounced back; please own this one."),
    "escalated_l3": ("Escalated to L3: needs architecture review.",
                     "Vendor engagement required; escalated to L3.",
                     "Complex enterprise issue; senior engineer engaged."),
    "resume_l3": ("Senior engineer analysing the root cause.", "L3 working with the vendor."),
    "escalated_manager": ("Requester disputes the proposed fix; manager review requested.",
                          "Needs manager approval for an access exception.",
                          "Budget approval needed; escalated to the IT manager."),
    "de_escalated": ("Manager approved; returned to the technician.",
                     "Dispute settled; back to the assigned engineer."),
    "awaiting_parts": ("Replacement part ordered from the vendor.",
                       "Waiting for a new docking station.", "Power supply on order.",
                       "Spare card reader requested from the supplier."),
    "parts_received": ("Parts delivered to the service desk.",
                       "Courier delivered the replacement unit."),
    "resume_parts": ("Replacement part installed; testing.", "Fitting the new part."),
    "on_hold": ("On hold during the change freeze.", "On hold pending vendor call-back.",
                "On hold: user on leave until next week."),
    "hold_released": ("Change freeze over; hold released.", "Vendor called back; hold released.",
                      "User back; hold released."),
    "resume_hold": ("Resuming after hold.", "Back on it after the hold."),
    "weekend": ("Weekend work to finish the migration.", "Saturday session to complete the rebuild.",
                "Working through the weekend to clear the backlog on this one."),
    "proposed": {
        "Software": ("Proposed fix: patched the client and cleared the cache.",
                     "Workaround applied; hotfix scheduled."),
        "Hardware": ("Replaced the faulty unit; please confirm.",
                     "Reseated components; device working."),
        "Network": ("Replaced the faulty switch port configuration.",
                    "Reset the VPN profile; please test."),
        "Security": ("Account secured and credentials rotated.",
                     "Malicious email purged from all mailboxes."),
        "Access": ("Access granted; please log in again.", "Account unlocked and MFA re-enrolled."),
        "Performance": ("Added an index and tuned the query.",
                        "Rebalanced load across the app servers."),
    },
    "resolved": ("User confirmed the fix.", "Resolution verified with the user.",
                 "Confirmed working."),
    "closed": ("Closed after confirmation.", "Closed: no further issues reported."),
    "closed_auto": ("Auto-closed: no response from the user after three reminders.",
                    "Closed: user did not respond."),
    "reopened": ("User reports the problem is back.", "Fix did not hold; reopening."),
    "resume_reopen": ("Investigating why the fix did not hold.", "Rechecking the earlier fix."),
    "zombie": ("Reopened weeks later: the same issue has returned.",
               "Old ticket reactivated: same symptom reported again."),
    "resume_zombie": ("Looking at the old case again.", "Reviewing what was done last time."),
}

SUBJECTS: dict[str, tuple[str, ...]] = {
    "Software": ("application error", "crash after update", "failed batch job", "form not saving"),
    "Hardware": ("device failure", "printer fault", "card reader fault", "workstation overheating"),
    "Network": ("connectivity loss", "VPN disconnects", "high latency", "DNS failures"),
    "Security": ("suspicious login", "phishing report", "malware alert", "certificate warning"),
    "Access": ("access request", "account locked", "MFA problem", "leaver account active"),
    "Performance": ("slow response", "batch overrun", "timeouts at peak", "high CPU"),
}

BODIES: dict[str, tuple[str, ...]] = {
    "Software": ("Users see an error and cannot complete their work. Started after the weekend "
                 "release.", "The application stops responding when the action is repeated."),
    "Hardware": ("The device stopped working this morning; a spare is not available.",
                 "Intermittent hardware fault, getting worse over the week."),
    "Network": ("Connection drops for several users at the same site.",
                "Traffic is slow or times out; other sites look fine."),
    "Security": ("An alert was raised by monitoring; please investigate urgently.",
                 "Several staff forwarded the same suspicious message."),
    "Access": ("The user cannot reach the system needed for daily work.",
               "Access needs to be changed after a role move."),
    "Performance": ("Response times are far above normal since this morning.",
                    "Customers complain about slowness at peak hours."),
}


@dataclass(frozen=True)
class TextPool:
    strings: tuple[str, ...]
    start: np.ndarray   # (groups, categories) first index of the group's texts
    count: np.ndarray   # (groups, categories) how many texts the group has
    groups: tuple[str, ...]

    def pick(self, group: np.ndarray, category: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Index of a text for each (group, category), chosen by the uniform ``u``."""
        count = self.count[group, category]
        return (self.start[group, category] + (u * count).astype(np.int64)).astype(np.int32)

    def group(self, name: str) -> int:
        return self.groups.index(name)


def _pool(table: dict[str, Pool]) -> TextPool:
    strings: list[str] = []
    groups = tuple(table)
    start = np.zeros((len(groups), len(CATEGORIES)), dtype=np.int64)
    count = np.zeros_like(start)
    for g, name in enumerate(groups):
        entry = table[name]
        if isinstance(entry, dict):
            for c, category in enumerate(CATEGORIES):
                start[g, c], count[g, c] = len(strings), len(entry[category])
                strings.extend(entry[category])
        else:
            start[g, :], count[g, :] = len(strings), len(entry)
            strings.extend(entry)
    return TextPool(tuple(strings), start, count, groups)


NOTE_POOL = _pool(NOTES)
SUBJECT_POOL = _pool({"subject": SUBJECTS})
BODY_POOL = _pool({"body": BODIES})
