"""Timestamps: the format is read from the data, day/month order is proven or asked for, and
every instant is stored absolute (naive values read in --tz)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import ticketlens
from ticketlens.core.errors import ConfigError, InputError

FLAGS = {"case": "id", "activity": "what", "timestamp": "when"}


def _log(folder: Path, times: list[str], name: str = "log.csv") -> Path:
    lines = ["id,what,when", *(f"T{i % 3},step {i},{t}" for i, t in enumerate(times))]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _instants(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return [r[0].isoformat() for r in con.execute(
            'SELECT "timestamp" FROM events ORDER BY source_row').fetchall()]


@pytest.mark.parametrize(
    ("times", "family", "first"),
    [
        (["05/03/2016 10:00", "13/03/2016 11:00"], "day-first", "2016-03-05T10:00:00+00:00"),
        (["05/03/2016 10:00", "03/13/2016 11:00"], "month-first", "2016-05-03T10:00:00+00:00"),
        (["2016-03-05T10:00:00Z", "2016-03-05T12:00:00+02:00"], "year-first with UTC offset",
         "2016-03-05T10:00:00+00:00"),
        (["2016/03/05 10:00:00.250", "2016/03/06 10:00:00.000"], "year-first",
         "2016-03-05T10:00:00.250000+00:00"),
        (["12/Mar/24 3:04 PM", "13/Mar/24 9:00 AM"], "month name", "2024-03-12T15:04:00+00:00"),
        (["5.3.2016 10:00", "25.3.2016 10:00"], "day-first", "2016-03-05T10:00:00+00:00"),
    ],
    ids=["day-first-proven", "month-first-proven", "iso-offsets", "fraction", "jira-style",
         "dotted"],
)
def test_format_is_detected_from_the_data(tmp_path: Path, times: list[str], family: str,
                                          first: str) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(_log(tmp_path, times), db=db, columns=FLAGS)
    source = summary.sources[0]
    assert source.timestamp_format.startswith(family + " (")
    assert source.rows_loaded == len(times)
    assert _instants(db)[0] == first


def test_proof_of_day_first_can_be_far_down_the_file(tmp_path: Path) -> None:
    """Only the 5,000th value has a first field above 12: it still decides (whole column)."""
    times = ["01/02/2016 10:00"] * 4_999 + ["13/02/2016 10:00"]
    summary = ticketlens.ingest(_log(tmp_path, times), db=tmp_path / "ws.duckdb", columns=FLAGS)
    source = summary.sources[0]
    assert source.timestamp_format.startswith("day-first")
    assert "line 5001" in source.timestamp_evidence


def test_undecidable_dates_stop_and_ask(tmp_path: Path) -> None:
    path = _log(tmp_path, ["05/03/2016 10:00", "06/03/2016 10:00", "01/12/2016 09:00"])
    db = tmp_path / "ws.duckdb"
    with pytest.raises(InputError, match=r"ambiguous.*pass --dayfirst or --monthfirst"):
        ticketlens.ingest(path, db=db, columns=FLAGS)
    assert not db.exists() or duckdb.connect(str(db)).execute(
        "SELECT count(*) FROM events").fetchall() == [(0,)]
    ticketlens.ingest(path, db=db, columns=FLAGS, dayfirst=True)
    assert _instants(db)[0] == "2016-03-05T10:00:00+00:00"
    other = tmp_path / "mf.duckdb"
    ticketlens.ingest(path, db=other, columns=FLAGS, dayfirst=False)
    assert _instants(other)[0] == "2016-05-03T10:00:00+00:00"


def test_contradicting_dates_are_refused(tmp_path: Path) -> None:
    path = _log(tmp_path, ["13/03/2016 10:00", "03/13/2016 10:00"])
    with pytest.raises(InputError, match=r"mix day-first .*line 2.* and month-first .*line 3"):
        ticketlens.ingest(path, db=tmp_path / "ws.duckdb", columns=FLAGS)


def test_explicit_format_wins(tmp_path: Path) -> None:
    path = _log(tmp_path, ["2016|03|05 10h00", "2016|03|06 11h30"])
    db = tmp_path / "ws.duckdb"
    with pytest.raises(InputError, match="match no known format: pass --timestamp-format"):
        ticketlens.ingest(path, db=db, columns=FLAGS)
    ticketlens.ingest(path, db=db, columns=FLAGS, timestamp_format="%Y|%m|%d %Hh%M")
    assert _instants(db)[1] == "2016-03-06T11:30:00+00:00"


def test_values_off_the_detected_format_are_quarantined(tmp_path: Path) -> None:
    path = _log(tmp_path, ["2016-03-05 10:00:00", "2016-03-06 10:00:00", "yesterday"])
    summary = ticketlens.ingest(path, db=tmp_path / "ws.duckdb", columns=FLAGS)
    source = summary.sources[0]
    assert (source.rows_loaded, source.rows_quarantined) == (2, 1)
    assert next(iter(source.quarantine_reasons)).startswith("timestamp does not match")


@pytest.mark.parametrize(
    ("tz", "expected"),
    [("UTC", "2024-07-01T10:00:00+00:00"), ("Europe/Paris", "2024-07-01T08:00:00+00:00"),
     ("America/New_York", "2024-07-01T14:00:00+00:00")],
)
def test_naive_times_are_read_in_tz_and_stored_absolute(tmp_path: Path, tz: str,
                                                        expected: str) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(_log(tmp_path, ["2024-07-01 10:00:00"]), db=db, columns=FLAGS,
                                tz=tz)
    assert summary.sources[0].tz == tz
    assert _instants(db) == [expected]


def test_offsets_in_the_data_ignore_tz(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(_log(tmp_path, ["2024-07-01 10:00:00+02:00"]), db=db, columns=FLAGS,
                      tz="America/New_York")
    assert _instants(db) == ["2024-07-01T08:00:00+00:00"]


def test_unknown_time_zone_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown time zone --tz 'Mars/Olympus'"):
        ticketlens.ingest(_log(tmp_path, ["2024-07-01 10:00:00"]), db=tmp_path / "ws.duckdb",
                          columns=FLAGS, tz="Mars/Olympus")


def test_out_of_order_events_are_sorted_stably_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("id,what,when\n"
                    "T1,b,2024-01-01 11:00:00\nT1,a,2024-01-01 10:00:00\n"
                    "T1,c,2024-01-01 11:00:00\nT2,x,2024-01-02 10:00:00\n")
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(path, db=db, columns=FLAGS)
    source = summary.sources[0]
    assert (source.out_of_order_events, source.out_of_order_cases) == (1, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        order = con.execute("SELECT list(activity ORDER BY event_seq) FROM events "
                            "WHERE ticket_id = 'T1'").fetchall()
    assert order == [(["a", "b", "c"],)]  # b before c: equal times keep file order


def test_implausible_times_are_flagged_and_loaded(tmp_path: Path) -> None:
    path = _log(tmp_path, ["1970-01-01 00:00:00", "2024-01-01 10:00:00", "2199-01-01 00:00:00"])
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(path, db=db, columns=FLAGS)
    source = summary.sources[0]
    assert source.rows_loaded == 3
    assert source.implausible == {"far_past": 1, "far_future": 1, "before_creation": 0}
    assert [e["line"] for e in source.implausible_examples] == [4, 2]


def test_events_before_the_stated_creation_are_flagged(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("id,what,when,opened\n"
                    "T1,a,2024-01-01 09:00:00,2024-01-01 10:00:00\n"
                    "T1,b,2024-01-01 11:00:00,2024-01-01 10:00:00\n")
    summary = ticketlens.ingest(path, db=tmp_path / "ws.duckdb",
                                columns={**FLAGS, "created": "opened"})
    assert summary.sources[0].implausible["before_creation"] == 1
