"""What `ticketlens.analyses.sla` stores reads back with the values, NULLs, types and row order of the
facts it returns."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

import ticketlens
from sla_support import ev, workspace_with
from ticketlens.clock.assemble import to_pandas
from ticketlens.workspace.store import replace_table as store

TABLES = ("sla_facts", "sla_summary", "sla_technicians", "sla_ticket_technicians")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("sla-store")
    ticketlens.generate(root / "desk", tickets=300, seed=1)
    db = root / "ws.duckdb"
    ticketlens.ingest([root / "desk"], db=db)
    return db, ticketlens.sla(db)


def _read(db, sql: str) -> pa.Table:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")  # as the workspace reads instants
        return con.sql(sql).to_arrow_table()


def test_stored_facts_read_back_as_the_returned_frame(generated) -> None:
    db, facts = generated
    stored = _read(db, "SELECT * FROM sla_facts")
    assert stored.num_rows == 300 and len(stored.schema) == 75
    # same values, NULLs, dtypes and row order (to_pandas: the conversion sla() applies)
    pd.testing.assert_frame_equal(to_pandas(stored), facts, check_exact=True)


def test_every_null_stays_null(generated) -> None:
    db, facts = generated
    counts = ", ".join(f'count("{c}")' for c in facts.columns)
    stored = _read(db, f"SELECT {counts} FROM sla_facts").to_pylist()[0]
    assert list(stored.values()) == facts.notna().sum().tolist()
    assert facts["fcr"].isna().any() and facts["resolver"].isna().any()  # exercised


def test_stored_types(generated) -> None:
    db, facts = generated
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(con.execute("SELECT column_name, column_type FROM "
                                 "(DESCRIBE sla_facts)").fetchall())
        micros = [r[0] for r in con.execute("SELECT epoch_us(created_at) FROM sla_facts")
                  .fetchall()]
    assert types["ticket_id"] == types["status"] == types["resolver"] == "VARCHAR"
    assert types["has_creation"] == types["fcr"] == types["resolution_breached"] == "BOOLEAN"
    assert types["events"] == types["resolution_cycles"] == "BIGINT"
    assert types["resolution_wall_s"] == "DOUBLE"
    assert types["created_at"] == types["resolution_due_at"] == "TIMESTAMP WITH TIME ZONE"
    # the same UTC instants as the frame's datetime64[us, UTC]
    assert str(facts["created_at"].dtype) == "datetime64[us, UTC]"
    assert micros == facts["created_at"].astype("int64").tolist()


def test_readers_compare_text_with_strings(generated) -> None:
    db, facts = generated
    with duckdb.connect(str(db), read_only=True) as con:
        open_high = con.execute("SELECT count(*) FROM sla_facts WHERE status = 'open' AND "
                                "priority IN ('High', 'Critical')").fetchall()[0][0]
        by_status = dict(con.execute("SELECT status, count(*) FROM sla_facts "
                                     "GROUP BY ALL").fetchall())
        technicians = con.execute("SELECT count(*) FROM sla_ticket_technicians t "
                                  "JOIN sla_technicians USING (technician)").fetchall()[0][0]
        held = con.execute("SELECT count(*) FROM sla_ticket_technicians").fetchall()[0][0]
    expected = facts["status"].eq("open") & facts["priority"].isin(["High", "Critical"])
    assert open_high == expected.sum()
    assert by_status == facts["status"].value_counts().to_dict()
    assert technicians == held > 0


def test_returned_frame_is_writable(generated) -> None:
    _, facts = generated
    frame = facts.copy(deep=False)
    frame.loc[0, "events"] = 99
    frame.loc[0, "resolution_wall_s"] = 1.5
    assert frame.loc[0, "events"] == 99 and facts.loc[0, "events"] != 99


def test_nullable_integers_and_booleans_keep_their_nulls(tmp_path) -> None:
    db = workspace_with(tmp_path / "ws.duckdb", [
        ev("T1", "2024-03-04 09:00", "Ticket Created"),
        ev("T1", "2024-03-04 09:10", "Ticket Assigned", who="ana"),
        ev("T1", "2024-03-04 10:00", "Ticket Resolved", who="ana"),
        ev("T2", "2024-03-04 09:30", "Ticket Assigned", who="bo"),  # no creation event
    ])
    facts = ticketlens.sla(db).set_index("ticket_id")
    assert str(facts["resolution_cycles"].dtype) == "Int64"
    assert pd.isna(facts.loc["T2", "resolution_cycles"]) and facts.loc["T1", "resolution_cycles"] == 1
    assert str(facts["resolution_breached"].dtype) == "boolean"
    assert pd.isna(facts.loc["T2", "resolution_breached"])
    stored = _read(db, "SELECT ticket_id, resolution_cycles, resolution_breached, "
                       "excluded_reason, resolver, created_at FROM sla_facts ORDER BY ticket_id")
    assert stored.to_pylist() == [
        {"ticket_id": "T1", "resolution_cycles": 1, "resolution_breached": False,
         "excluded_reason": None, "resolver": "ana",
         "created_at": pd.Timestamp("2024-03-04 09:00", tz="UTC").to_pydatetime()},
        {"ticket_id": "T2", "resolution_cycles": None, "resolution_breached": None,
         "excluded_reason": "no creation event", "resolver": None, "created_at": None},
    ]


def _dictionary(codes: list[int | None], values: list[str | None],
                index: pa.DataType | None = None) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes, index or pa.int32()),
                                          pa.array(values, pa.string()))


def test_store_keeps_dictionary_text_and_nulls() -> None:
    many = [f"v{i}" for i in range(5000)]  # a large dictionary: stored from plain text
    table = pa.table({
        "id": pa.array([1, 2, 3, 4]),
        "quoted": _dictionary([0, 1, None, 2], ["it's", "", 'say "hi"']),
        "tiny": _dictionary([127, 0, 127, None], [f"t{i}" for i in range(128)], pa.int8()),
        "many": _dictionary([4999, 0, 1, None], many),
        "empty": _dictionary([None, None, None, None], []),
        "nothing": pa.nulls(4),
    })
    con = duckdb.connect()
    store(con, "plain", table)
    plain = con.sql("SELECT * FROM plain").to_arrow_table()
    assert plain.column("quoted").to_pylist() == ["it's", "", None, 'say "hi"']
    assert plain.column("tiny").to_pylist() == ["t127", "t0", "t127", None]
    assert plain.column("many").to_pylist() == ["v4999", "v0", "v1", None]
    assert plain.column("empty").to_pylist() == [None] * 4
    assert plain.schema.field("nothing").type == pa.string()
