"""ticketlens mine gives pm4py's answers exactly, on real logs and a generated one.

Each log is ingested with ``ticketlens.sources.ingest`` and, independently, read from the raw file by
pandas/pm4py (``format_dataframe`` sorts stably by case then timestamp, as ingest numbers
``event_seq``: the Helpdesk log has 130 same-instant event pairs that check the tie order).
DFG edges, start and end activities, variants and handover counts must be equal; the
performance DFG's means and medians within one second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from mine_support import generated_desk, ingested
from ticketlens.analyses import mine

pm4py = pytest.importorskip("pm4py")


@dataclass(frozen=True)
class Log:
    db: Path
    frame: pd.DataFrame  # pm4py-formatted, with org:resource


def _helpdesk_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame["org:resource"] = frame["Resource"]
    return pm4py.format_dataframe(frame, case_id="Case ID", activity_key="Activity",
                                  timestamp_key="Complete Timestamp")


def _helpdesk_xes(path: Path) -> pd.DataFrame:
    return pm4py.format_dataframe(pm4py.read_xes(str(path)))


def _bpic2013(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    # The activity is status + sub-status, as ingest's built-in BPIC 2013 mapping builds it.
    frame["activity"] = frame["concept:name"] + " - " + frame["lifecycle:transition"]
    return pm4py.format_dataframe(frame, case_id="case:concept:name", activity_key="activity",
                                  timestamp_key="time:timestamp")


def _generated(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / "events.csv", dtype=str)
    frame["org:resource"] = frame["assigned_to"]  # "Unassigned" included, as pm4py sees it
    return pm4py.format_dataframe(frame, case_id="ticket_id", activity_key="activity",
                                  timestamp_key="timestamp")


SOURCES: dict[str, tuple[str, Callable[[Path], pd.DataFrame]]] = {
    "helpdesk-csv": ("helpdesk.csv", _helpdesk_csv),
    "helpdesk-xes": ("helpdesk.xes.gz", _helpdesk_xes),
    "bpic2013": ("bpic2013_closed_problems.csv", _bpic2013),
    "generated": ("", _generated),
}


@pytest.fixture(scope="module", params=list(SOURCES))
def log(request: pytest.FixtureRequest, real_data: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Log:
    name = request.param
    file_name, reader = SOURCES[name]
    folder = tmp_path_factory.getbasetemp()
    source = generated_desk(folder) if name == "generated" else real_data / file_name
    db = ingested(folder, name, source)
    return Log(Path(str(db)), reader(Path(str(source))))


def test_dfg_edges_equal_pm4py(log: Log) -> None:
    reference, _, _ = pm4py.discover_dfg(log.frame)
    edges = mine.dfg(log.db, performance=False).edges
    ours = dict(zip(zip(edges["source"], edges["target"], strict=True), edges["frequency"],
                    strict=True))
    assert ours == {edge: int(count) for edge, count in reference.items()}
    assert len(ours) > 10


def test_start_and_end_activities_equal_pm4py(log: Log) -> None:
    _, starts, ends = pm4py.discover_dfg(log.frame)
    graph = mine.dfg(log.db, performance=False)
    for ours, reference in ((graph.start_activities, starts), (graph.end_activities, ends)):
        assert dict(zip(ours["activity"], ours["cases"], strict=True)) == {
            activity: int(count) for activity, count in reference.items()}


def test_variants_equal_pm4py(log: Log) -> None:
    reference = pm4py.get_variants(log.frame)
    frame = mine.variants(log.db)
    ours = dict(zip(frame["activities"].map(tuple), frame["cases"], strict=True))
    assert ours == {variant: int(count) for variant, count in reference.items()}
    assert frame["cases"].is_monotonic_decreasing


def test_collapsed_variants_equal_pm4py_max_repetitions_one(log: Log) -> None:
    reference = pm4py.get_variants(log.frame, max_repetitions=1)
    frame = mine.variants(log.db, collapse_loops=True)
    assert dict(zip(frame["activities"].map(tuple), frame["cases"], strict=True)) == {
        variant: int(count) for variant, count in reference.items()}


def test_handover_counts_equal_pm4py(log: Log) -> None:
    """pm4py normalises by the number of consecutive event pairs (events - cases) and counts
    self-handovers and nobody's events: with both options our counts are its numerators."""
    network = pm4py.discover_handover_of_work_network(log.frame)
    pairs = len(log.frame) - log.frame["case:concept:name"].nunique()
    reference = {}
    for edge, value in network.connections.items():
        count = value * pairs
        assert abs(count - round(count)) < 1e-6
        reference[edge] = round(count)
    frame = mine.handover(log.db, include_self=True, include_unassigned=True).network
    ours = dict(zip(zip(frame["source"], frame["target"], strict=True), frame["handovers"],
                    strict=True))
    assert ours == reference
    assert sum(ours.values()) == pairs


def test_performance_dfg_within_one_second_of_pm4py(log: Log) -> None:
    reference, _, _ = pm4py.discover_performance_dfg(log.frame, perf_aggregation_key="all")
    edges = mine.dfg(log.db).edges
    assert len(edges) == len(reference)
    for row in edges.itertuples(index=False):
        expected = reference[(row.source, row.target)]
        assert row.mean_s == pytest.approx(expected["mean"], abs=1.0)
        assert row.median_s == pytest.approx(expected["median"], abs=1.0)
        assert row.max_s == pytest.approx(expected["max"], abs=1.0)
