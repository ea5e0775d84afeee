"""Benchmark `ticketlens generate`: 1,000,000 tickets with all tables, against a Faker loop.

Targets (issue 2, 2-core machine): 1 M tickets (~8-10 M events) with every table in <= 60 s
and <= 4 GB peak memory, memory not growing with the ticket count beyond a bounded chunk
(shown by comparing the peaks at 250,000 and 1,000,000 tickets), and >= 50x the per-ticket
speed of a row-by-row Faker loop of the kind the brief describes (10,000 tickets, same tables,
a simpler desk: no business clock, no workload tracking).

Run: python benchmarks/bench_generate.py [--quick]   (needs `pip install -e '.[bench]'`)
Every figure is the median of 3 fresh-process runs (harness.py), except the csv+parquet line
(1 run, for information).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Measurement, measure, ratio

FAKER_LOOP = r'''
import csv, random
from datetime import datetime, timedelta
from faker import Faker

PRIORITIES = ["Critical", "High", "Medium", "Low"]
CATEGORIES = ["Software", "Hardware", "Network", "Security", "Access", "Performance"]
DEPARTMENTS = ["Engineering", "Finance", "HR", "Sales", "Operations", "IT"]
L1 = ["Chris Johnson", "Sam Williams", "Pat Anderson"]
L2 = ["Alex Martinez", "Jordan Lee", "Taylor Chen", "Morgan Davis"]
SYSTEMS = ["Core Banking", "Mobile App", "ATM Switch", "Internet Banking", "Payments Gateway"]
LIMIT = {"Critical": 4, "High": 8, "Medium": 24, "Low": 72}


def faker_desk(out, n, seed=1):
    """The brief's approach: one ticket at a time, one event at a time, Faker for texts."""
    fake = Faker()
    Faker.seed(seed)
    random.seed(seed)
    start, end = datetime(2024, 1, 1), datetime(2024, 3, 31, 23, 59, 59)
    events, tickets, sla, ownership, impact = [], [], [], [], []
    per_day, event_id = {}, 0
    for _ in range(n):
        created = fake.date_time_between(start_date=start, end_date=end)
        priority = random.choices(PRIORITIES, weights=[5, 15, 50, 30])[0]
        category = random.choices(CATEGORIES, weights=[30, 20, 15, 15, 10, 10])[0]
        department = random.choice(DEPARTMENTS)
        day = created.strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        ticket_id = f"TKT-{day}-{per_day[day]:03d}"
        path = ["Ticket Created", "Ticket Assigned", "Work Started"]
        if random.random() < 0.25:
            path += ["Awaiting User Response", "User Responded", "Work Resumed"]
        if random.random() < 0.33:
            path += ["Escalated to L2", "Work Resumed"]
        if category == "Hardware" and random.random() < 0.35:
            path += ["Awaiting Parts", "Parts Received", "Work Resumed"]
        path += ["Resolution Proposed", "Ticket Resolved", "Ticket Closed"]
        if random.random() < 0.08:
            path += ["Ticket Reopened", "Work Resumed", "Ticket Resolved", "Ticket Closed"]
        t, holder, first_response, resolved = created, "Unassigned", None, None
        for activity in path:
            if activity != "Ticket Created":
                t += timedelta(minutes=random.randint(5, 600))
            if activity == "Ticket Assigned":
                holder = random.choice(L1)
                first_response = (t - created).total_seconds() / 60
            elif activity == "Escalated to L2":
                holder = random.choice(L2)
            elif activity == "Ticket Resolved":
                resolved = t
            event_id += 1
            events.append({"event_id": event_id, "timestamp": t.strftime("%Y-%m-%d %H:%M:%S"),
                           "ticket_id": ticket_id, "activity": activity, "assigned_to": holder,
                           "priority": priority, "category": category,
                           "department": department, "notes": fake.sentence(nb_words=8)})
        hours = (resolved - created).total_seconds() / 3600
        system = random.choice(SYSTEMS)
        tickets.append({"ticket_id": ticket_id, "customer_id": f"CUST-{fake.random_int(1, 999999):06d}",
                        "subject": f"{system}: {fake.sentence(nb_words=4)}",
                        "body": fake.paragraph(nb_sentences=2), "created_at": created,
                        "closed_at": t, "status": "Closed", "priority": priority,
                        "category": category, "system": system,
                        "channel": random.choice(["Email", "Phone", "Portal"]),
                        "department": department})
        sla.append({"ticket_id": ticket_id, "sla_limit_hours": LIMIT[priority],
                    "resolution_hours": round(hours, 2),
                    "first_response_minutes": round(first_response, 1),
                    "sla_breached": hours > LIMIT[priority],
                    "uptime_impact_minutes": round(hours * 60) if priority == "Critical" else 0})
        ownership.append({"ticket_id": ticket_id, "assigned_team": "Service Desk",
                          "assigned_engineer": holder,
                          "root_cause_category": random.choice(["Code Bug", "Server Overload", "User Error"]),
                          "fix_type": random.choice(["Permanent", "Patch", "Workaround"]),
                          "is_repeat_incident": "Ticket Reopened" in path})
        if random.random() < 0.15:
            impact.append({"ticket_id": ticket_id,
                           "failed_transaction_count": random.randint(1, 50000),
                           "estimated_financial_loss": round(random.uniform(10, 1e6), 2),
                           "affected_region": fake.country()})
    for name, rows in (("events", events), ("tickets", tickets), ("sla_metrics", sla),
                       ("ownership", ownership), ("business_impact", impact)):
        with open(f"{out}/{name}.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return event_id
'''


def ours(tickets: int, out: Path, formats: tuple[str, ...], repeats: int) -> Measurement:
    return measure(
        f"ticketlens generate {tickets:>9,} {'+'.join(formats)}",
        work=f"ticketlens.generate({str(out)!r}, tickets={tickets}, seed=20240101, "
             f"formats={formats!r})",
        setup="import ticketlens",
        repeats=repeats,
    )


def _show(m: Measurement) -> Measurement:
    print(m.row(), flush=True)
    return m


def main() -> None:
    quick = "--quick" in sys.argv
    big, mid, faker_n = (200_000, 50_000, 1_000) if quick else (1_000_000, 250_000, 10_000)
    root = Path(tempfile.mkdtemp(prefix="bench-generate-"))
    try:
        print(f"generate benchmark (fresh process per run; medians of 3){' [quick]' * quick}")
        m_big = _show(ours(big, root / "big", ("csv",), 3))
        events = json.loads((root / "big" / "manifest.json").read_text())["row_counts"]["events"]
        shutil.rmtree(root / "big")
        m_mid = _show(ours(mid, root / "mid", ("csv",), 3))
        m_both = _show(ours(big, root / "both", ("csv", "parquet"), 1))
        shutil.rmtree(root / "both")
        (root / "faker").mkdir()
        m_faker = _show(measure(f"Faker row-by-row loop     {faker_n:>9,} csv",
                                work=f"faker_desk({str(root / 'faker')!r}, {faker_n})",
                                setup=FAKER_LOOP, repeats=3))
        speedup = ratio(m_faker, m_big, per_baseline=faker_n, per_ours=big)
        print()
        print(f"{big:,} tickets -> {events:,} events in {m_big.median_s:.1f} s: "
              f"{events / m_big.median_s:,.0f} events/s, {big / m_big.median_s:,.0f} tickets/s "
              f"(target <= 60 s)")
        print(f"peak memory {m_big.peak_mib:,.0f} MiB at {big:,} vs {m_mid.peak_mib:,.0f} MiB at "
              f"{mid:,} tickets: x{m_big.peak_mib / m_mid.peak_mib:.2f} for x{big / mid:.0f} "
              f"tickets (target <= 4096 MiB, bounded)")
        print(f"with Parquet too: {m_both.median_s:.1f} s, peak {m_both.peak_mib:,.0f} MiB")
        print(f"Faker loop: {m_faker.median_s / faker_n * 1e3:.3f} ms/ticket vs ticketlens "
              f"{m_big.median_s / big * 1e3:.4f} ms/ticket: {speedup:,.0f}x per ticket "
              f"(target >= 50x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
