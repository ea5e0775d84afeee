"""XES input: streamed, plain or gzip; broken events quarantined by line; broken XML refused."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

import ticketlens
from ticketlens.core.errors import InputError

LOG = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="origin" value="test"/>
  <trace>
    <string key="concept:name" value="T1"/>
    <string key="customer" value="ACME"/>
    <event>
      <string key="concept:name" value="Open"/>
      <date key="time:timestamp" value="2024-01-01T10:00:00.000+01:00"/>
      <string key="org:resource" value="ann"/>
      <int key="cost" value="5"/>
      <list key="tags"><values><string key="tag" value="vip"/></values></list>
    </event>
    <event>
      <string key="concept:name" value="Close"/>
      <date key="time:timestamp" value="2024-01-01T12:00:00"/>
    </event>
    <event>
      <string key="concept:name" value="NoTime"/>
    </event>
  </trace>
  <trace>
    <event>
      <string key="concept:name" value="Orphan"/>
      <date key="time:timestamp" value="2024-01-02T10:00:00Z"/>
    </event>
  </trace>
  <trace>
    <event>
      <string key="concept:name" value="Late id"/>
      <date key="time:timestamp" value="2024-01-03T10:00:00Z"/>
    </event>
    <string key="concept:name" value="T3"/>
  </trace>
</log>
"""


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.xes"
    path.write_text(LOG)
    return path


def test_events_attributes_and_quarantine(log: Path, tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(log, db=db, tz="Europe/Paris")
    source = summary.sources[0]
    assert (source.format, source.rows_read, source.rows_loaded, source.rows_quarantined) == (
        "xes", 5, 3, 2)
    assert source.details["traces"] == 3
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        events = con.execute(
            'SELECT ticket_id, activity, "timestamp", assigned_to, attributes, source_row '
            "FROM events ORDER BY ticket_id, event_seq").fetchall()
        quarantine = con.execute('SELECT line, "column", reason FROM quarantine ORDER BY line'
                                 ).fetchall()
        attributes = con.execute("SELECT ticket_id, name, value FROM case_attributes").fetchall()
    assert [(e[0], e[1], e[2].isoformat()) for e in events] == [
        ("T1", "Open", "2024-01-01T09:00:00+00:00"),
        ("T1", "Close", "2024-01-01T11:00:00+00:00"),  # no offset: read in --tz (Paris)
        ("T3", "Late id", "2024-01-03T10:00:00+00:00"),  # trace id after its events
    ]
    assert events[0][3] == "ann"
    assert events[0][4] == {"cost": "5", "tags/tag": "vip"}
    assert events[0][5] == 9  # the physical line of <event>
    assert quarantine == [
        (20, "time:timestamp", "event without time:timestamp"),
        (25, "trace concept:name", "the event's trace (line 24) has no concept:name"),
    ]
    assert attributes == [("T1", "customer", "ACME")]
    assert any("no UTC offset" in w for w in source.warnings)


def test_gzip_is_read_and_named_by_content(log: Path, tmp_path: Path) -> None:
    packed = tmp_path / "log.bin"
    packed.write_bytes(gzip.compress(log.read_bytes()))
    summary = ticketlens.ingest(packed, db=tmp_path / "ws.duckdb")
    assert summary.sources[0].format == "xes"
    assert summary.sources[0].detected.endswith("XML content")
    assert summary.sources[0].rows_loaded == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (LOG.replace("</event>\n    <event>", "</event>\n    <evnt>", 1), "not well-formed XML"),
        (LOG[: LOG.index("<trace>", 300)], "ends inside a <trace>|not well-formed"),
        ('<?xml version="1.0"?><log><trace><string key="concept:name" value="T"/></trace></log>',
         "holds no events"),
    ],
    ids=["bad-tag", "truncated", "no-events"],
)
def test_broken_xml_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "log.xes"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        ticketlens.ingest(path, db=tmp_path / "ws.duckdb")


def test_truncated_gzip_is_refused(log: Path, tmp_path: Path) -> None:
    packed = gzip.compress(log.read_bytes())
    path = tmp_path / "log.xes.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match="corrupt or truncated gzip"):
        ticketlens.ingest(path, db=tmp_path / "ws.duckdb")
