"""The event-log CSV format, ticket ids, manifest, formats and byte-identical determinism."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tomllib

import pandas as pd
import pyarrow.parquet as pq
import pytest

import ticketlens
from test_generate_support import TABLES, Desk, shared_desk
from ticketlens.core.schema import (
    ACTIVITIES,
    CATEGORIES,
    DEPARTMENTS,
    EVENT_LOG_COLUMNS,
    PRIORITIES,
)
from ticketlens.sources.generate.config import default_toml_text


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return shared_desk(tmp_path_factory)


TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
TICKET_ID = re.compile(r"TKT-(\d{8})-(\d{3,})")


def test_event_log_header_and_fields_are_the_briefs(desk) -> None:
    """Columns in the brief's order; every timestamp YYYY-MM-DD HH:MM:SS; vocabularies exact."""
    with (desk.out / "events.csv").open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [row for _, row in zip(range(50_000), reader, strict=False)]
    assert tuple(header) == EVENT_LOG_COLUMNS
    assert (desk.out / "events.csv").read_text().splitlines()[0] == ",".join(EVENT_LOG_COLUMNS)
    assert all(TIMESTAMP.fullmatch(row[1]) for row in rows)
    ev = desk.events
    assert set(ev["activity"]) == set(ACTIVITIES)  # all twenty occur
    assert set(ev["priority"]) == set(PRIORITIES)
    assert set(ev["category"]) == set(CATEGORIES)
    assert set(ev["department"]) == set(DEPARTMENTS)
    assert ev["event_id"].tolist() == list(range(1, len(ev) + 1))
    assert ev["notes"].notna().all() and (ev["notes"].str.len().between(10, 120)).all()


def test_ticket_id_is_creation_date_and_day_sequence(desk) -> None:
    """TKT-YYYYMMDD-NNN: the creation date, numbered 001, 002, ... per day in creation order."""
    created = desk.sql("""SELECT ticket_id, "timestamp" AS created FROM events
                          WHERE activity = 'Ticket Created' ORDER BY event_id""")
    parts = created["ticket_id"].str.extract(TICKET_ID.pattern)
    assert parts.notna().all().all()
    assert (parts[0] == created["created"].dt.strftime("%Y%m%d")).all()
    sequence = parts[1].astype(int)
    expected = created.groupby(created["created"].dt.date).cumcount() + 1
    assert (sequence == expected).all()
    assert (parts[1].str.len() == 3).all()  # 20,000 tickets in a quarter: < 1,000 a day
    assert created["created"].is_monotonic_increasing


def test_ticket_number_widens_only_past_999_a_day(tmp_path) -> None:
    """A day with more than 999 tickets gets 4-digit numbers; the width never varies within it."""
    out = tmp_path / "busy"
    ticketlens.generate(out, tickets=2_500, start="2024-05-06", end="2024-05-07", seed=3)
    ids = pd.read_csv(out / "tickets.csv", usecols=["ticket_id"])["ticket_id"]
    parts = ids.str.extract(TICKET_ID.pattern)
    per_day = parts.groupby(0)[1].agg(["count", lambda s: s.str.len().unique().tolist()])
    for count, widths in per_day.itertuples(index=False):
        assert widths == ([3] if count <= 999 else [len(str(count))])
    assert (per_day["count"] > 999).any()


def test_priority_shows_the_value_in_force(desk) -> None:
    """After Priority Changed the new (higher) priority shows from that row on; category and
    department never change within a ticket."""
    ev = desk.events
    rank = ev["priority"].map({p: i for i, p in enumerate(PRIORITIES)})
    g = ev.groupby("ticket_id", sort=False)
    changed = ev["priority"] != g["priority"].shift()
    first = g.cumcount() == 0
    changes = ev[changed & ~first]
    assert len(changes) > 100
    assert (changes["activity"] == "Priority Changed").all()
    assert (rank[changes.index] < g["priority"].shift()[changes.index].map(
        {p: i for i, p in enumerate(PRIORITIES)})).all()  # upward: more urgent
    assert (g["category"].nunique() == 1).all() and (g["department"].nunique() == 1).all()


def test_manifest_records_seed_config_counts_and_zone(desk) -> None:
    m = desk.manifest
    assert m["generator"] == "ticketlens" and m["schema_version"] == 1
    assert m["seed"] == 11 and m["timezone"] == "UTC"
    assert m["window"] == {"start": "2024-01-01", "end": "2024-03-31", "end_inclusive": True}
    for table in TABLES:
        lines = sum(1 for _ in (desk.out / f"{table}.csv").open()) - 1
        assert m["row_counts"][table] == lines == desk.result.row_counts[table]
        assert pq.read_metadata(desk.out / f"{table}.parquet").num_rows == lines
    assert m["config"]["window"]["tickets"] == 20_000
    assert m["config"]["patterns"]["zombie_rate"] == 0.02
    assert len(m["roster"]) == m["desk"]["technicians"] == 10 * m["desk"]["teams"]


@pytest.mark.parametrize("table", TABLES)
def test_parquet_holds_the_same_rows_as_csv(desk, table) -> None:
    from_csv = desk.sql(f"SELECT * FROM {table}")
    from_parquet = pq.read_table(desk.out / f"{table}.parquet").to_pandas()
    for column in from_parquet.columns:
        if isinstance(from_parquet[column].dtype, pd.CategoricalDtype):
            from_parquet[column] = from_parquet[column].astype(object)
        if pd.api.types.is_datetime64_any_dtype(from_parquet[column]):
            from_parquet[column] = from_parquet[column].astype("datetime64[ns]")
            from_csv[column] = from_csv[column].astype("datetime64[ns]")
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False)


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_and_config_give_byte_identical_files(tmp_path) -> None:
    """Two runs, same seed and config: every file identical to the byte; another seed differs."""
    kwargs = {"tickets": 3_000, "seed": 99, "formats": ("csv", "parquet")}
    a = ticketlens.generate(tmp_path / "a", **kwargs)
    b = ticketlens.generate(tmp_path / "b", **kwargs)
    c = ticketlens.generate(tmp_path / "c", **(kwargs | {"seed": 100}))
    assert _digests(a.out) == _digests(b.out)
    assert len(_digests(a.out)) == 12  # 5 tables x 2 formats, manifest, SLA policy
    assert _digests(a.out)["events.csv"] != _digests(c.out)["events.csv"]
    # the SLA policy depends on the desk's calendar, not on the seed
    assert _digests(a.out)["sla-policy.toml"] == _digests(c.out)["sla-policy.toml"]


def test_output_replaces_an_earlier_desk_but_refuses_other_folders(tmp_path) -> None:
    out = tmp_path / "desk"
    ticketlens.generate(out, tickets=50, seed=1)
    ticketlens.generate(out, tickets=60, seed=1)
    assert json.loads((out / "manifest.json").read_text())["row_counts"]["tickets"] == 60
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ticketlens.InputError, match="not a generated desk"):
        ticketlens.generate(other, tickets=10)
    assert (other / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk", "mine"]  # no temp leftovers


def test_event_log_is_bare_csv_unless_a_value_needs_quotes(desk, tmp_path) -> None:
    """Like the brief's sample: no quotes in events.csv. A configured name with a comma makes
    the writer quote text fields, and the file still reads back exactly."""
    assert '"' not in (desk.out / "events.csv").read_text()[:2_000_000]
    techs = [dict(t) for t in tomllib.loads(default_toml_text())["technician"]]
    techs[0]["name"] = 'Johnson, Chris "CJ"'
    out = tmp_path / "quoted"
    ticketlens.generate(out, tickets=300, seed=4, config={"technician": techs})
    with (out / "events.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert 'Johnson, Chris "CJ"' in {r["assigned_to"] for r in rows}
    assert all(len(r) == len(EVENT_LOG_COLUMNS) for r in rows)


def test_determinism_and_grammar_hold_across_chunks(tmp_path, monkeypatch) -> None:
    """With small chunks (many chunk boundaries, workload carried between them) two runs are
    still byte-identical, ticket numbers continue across chunks, and the grammar holds."""
    import functools

    from test_generate_support import grammar_violations
    from ticketlens.sources.generate import api, simulate

    monkeypatch.setattr(api, "prepare", functools.partial(simulate.prepare, chunk_tickets=700))
    a = ticketlens.generate(tmp_path / "a", tickets=4000, seed=5)
    b = ticketlens.generate(tmp_path / "b", tickets=4000, seed=5)
    manifest = json.loads((a.out / "manifest.json").read_text())
    assert manifest["desk"]["chunks"] >= 5
    assert _digests(a.out) == _digests(b.out)
    events = pd.read_csv(a.out / "events.csv", parse_dates=["timestamp"])
    assert events["event_id"].tolist() == list(range(1, len(events) + 1))
    tiers = {t["name"]: t["tier"] for t in manifest["roster"]}
    violations = grammar_violations(events, tiers, pd.Timestamp("2024-04-01"))
    assert violations == dict.fromkeys(violations, 0)
    ids = pd.read_csv(a.out / "tickets.csv", usecols=["ticket_id"])["ticket_id"]
    assert ids.is_unique and len(ids) == 4000
