"""Staging's fast path: the events read as the workspace stores them, moved into ticket order.

It relies on what ingest writes — each ticket's events stored as runs of consecutive
event_seq — and checks it as it goes: one scan reads every event as stored (no join, no
sort), with a hash of its ticket id and a few bits of the hash of each text column, which
lookup tables built from the distinct values (``_sla_values``) turn into codes; numpy finds
the runs, matches them to the tickets (``_sla_tickets``, ticket_id order) and moves whole runs
into ticket order. ``read_runs`` returns None when a check fails, and ``stage.read_events``
takes the general path. The SQL files beside this module state their grain.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import DTypeLike

from ticketlens.workspace.sql import load_sql

KINDS = ("activity", "priority", "person", "category", "department")
_MAX_BITS = 22  # a kind's hash bits at most (its lookup table: 4 Mi entries)
_TABLE_BITS = 20  # kinds next to each other share one lookup table up to this many bits
_CHUNK = 1 << 20  # rows per step of the element-wise passes: their temporaries stay small


@dataclass
class _Field:
    """One kind in stg_events_fast.sql's packed hash bits and in the packed codes."""

    salt: int  # the kind's bits are (hash(value) >> salt) & (2**bits - 1) ...
    bits: int
    at: int  # ... at this bit of the packed hash bits
    out_at: int  # code + 1 (0 for NULL) sits at this bit of the packed codes
    out_bits: int


@dataclass
class _Layout:
    """How packed hash bits become packed codes: ``codes = OR of table[(bits >> at) & mask]``
    over the tables, each covering neighbouring kinds."""

    fields: dict[str, _Field]
    tables: list[tuple[int, int, np.ndarray]]  # (at, mask, table)
    code_type: type


def read_runs(con: duckdb.DuckDBPyConnection, as_of: datetime, values: dict[str, list[str]],
              hashes: dict[str, list[int]]) -> tuple[dict[str, np.ndarray], int] | None:
    """The fast staging, for a workspace that keeps each ticket's events together in
    event_seq order, as ingest writes them; None (nothing kept) when the workspace does not.

    One scan reads the events as the table holds them, with no join and no sort. Each ticket's
    events must come as runs of consecutive event_seq carrying one ticket hash; every run must
    match exactly one staged ticket (one with an event_seq 0 at or before ``as_of``), and a
    ticket's runs must cover event_seq 0, 1, ... once each. Then each event's place in ticket
    order is its run's start plus its event_seq (the ``pos`` the general staging sorts on), and
    whole runs move there. A ticket's hash is 64 bits and staged tickets' hashes are distinct
    (else a run matches two); two different ids sharing a hash would also have to be stored
    interleaved in consecutive event_seq to pass the checks.
    """
    null_hash = int(con.execute("SELECT hash(NULL::VARCHAR)").fetchall()[0][0])
    layout = _layout(values, hashes, null_hash)
    if layout is None:
        return None
    try:
        con.execute(load_sql(__name__, "stg_tickets_fast.sql"), {"as_of": as_of})
    except duckdb.BinderException:  # ``events`` is not a table (no row ids): the general path
        return None
    n_with_events = int(con.execute("SELECT count(*) FROM _sla_tickets").fetchall()[0][0])
    n = int(con.execute('SELECT count(*) FROM events WHERE "timestamp" <= $as_of',
                        {"as_of": as_of}).fetchall()[0][0])
    if n == 0 or n >= 1 << 31:
        return None  # none: the general staging says so; 2**31: places outgrow int32
    params: dict[str, object] = {"as_of": as_of}
    for kind, field in layout.fields.items():
        params[f"k_{kind}"] = field.salt
        params[f"m_{kind}"] = (1 << field.bits) - 1
        params[f"s_{kind}"] = field.at if field.bits else 0
    fetched = _fetch_runs(con.sql(load_sql(__name__, "stg_events_fast.sql"), params=params), n, layout)
    if fetched is None:
        return None
    hashed, seq, ts, packed = fetched
    runs = _runs(hashed, seq)
    placed = _place_runs(con, runs, hashed[runs], seq[runs], n, n_with_events)
    if placed is None:
        return None
    run_pos, counts = placed
    coded = _to_ticket_order(hashed, seq, ts, packed, runs, run_pos, counts)
    coded.update(_unpack(coded.pop("packed"), layout))
    if con.execute("SELECT count(*) FROM sources WHERE format = 'ticket-table'"
                   ).fetchall()[0][0]:
        con.execute(load_sql(__name__, "stg_attribute_only.sql"))
    n_total = con.execute("SELECT count(*) FROM _sla_tickets").fetchall()[0][0]
    return coded, int(n_total)


def _layout(values: dict[str, list[str]], hashes: dict[str, list[int]],
            null_hash: int) -> _Layout | None:
    """Per kind: a few bits of the values' hashes that tell its values (and NULL) apart, and
    the lookup tables from those bits to codes. None when a kind has too many values for a
    small table or the bits do not fit 64."""
    fields: dict[str, _Field] = {}
    tables: dict[str, np.ndarray] = {}
    at = out_at = 0
    for kind in KINDS:
        keys = np.array([*hashes[kind], null_hash], dtype=np.uint64)
        found = _salt(keys)
        if found is None:
            return None
        salt, bits = found
        field = _Field(salt, bits, at, out_at, len(values[kind]).bit_length())
        table = np.zeros(1 << bits, dtype=np.uint64)  # NULL: code + 1 = 0
        table[(keys[:-1] >> np.uint64(salt)) & np.uint64((1 << bits) - 1)] = (
            np.arange(1, len(keys), dtype=np.uint64) << np.uint64(out_at))
        fields[kind], tables[kind] = field, table
        at += bits
        out_at += field.out_bits
    if at > 63 or out_at > 64:
        return None
    code_type = np.uint32 if out_at <= 32 else np.uint64
    groups: list[list[str]] = [[]]
    for kind in KINDS:
        if groups[-1] and sum(fields[k].bits for k in groups[-1]) + fields[kind].bits \
                > _TABLE_BITS:
            groups.append([])
        groups[-1].append(kind)
    shared = []
    for group in groups:
        width = sum(fields[k].bits for k in group)
        index = np.arange(1 << width, dtype=np.uint64)
        table = np.zeros(1 << width, dtype=np.uint64)
        for kind in group:
            shift = np.uint64(fields[kind].at - fields[group[0]].at)
            table |= tables[kind][(index >> shift) & np.uint64((1 << fields[kind].bits) - 1)]
        shared.append((fields[group[0]].at, (1 << width) - 1, table.astype(code_type)))
    return _Layout(fields, shared, code_type)


def _salt(keys: np.ndarray) -> tuple[int, int] | None:
    """(salt, bits): the fewest bits, at some offset, of ``keys`` (distinct 64-bit hashes)
    that keep them distinct."""
    n = len(keys)
    # below n * n / 32 slots hardly any offset keeps n keys apart: start there
    for bits in range(max((n - 1).bit_length(), (n * n // 32).bit_length()), _MAX_BITS + 1):
        mask = np.uint64((1 << bits) - 1)
        for salt in range(65 - bits):
            if len(np.unique((keys >> np.uint64(salt)) & mask)) == n:
                return salt, bits
    return None


def _fetch_runs(relation: duckdb.DuckDBPyRelation, n: int,
                layout: _Layout) -> tuple[np.ndarray, ...] | None:
    """The scan's columns in arrays allocated once, hash bits turned into packed codes batch by
    batch; None if the scan did not return ``n`` rows (the workspace changed)."""
    hashed = _fresh(n, np.uint64)
    seq = _fresh(n, np.int32)
    ts = _fresh(n, np.int64)
    packed = _fresh(n, layout.code_type)
    filled = 0
    for batch in relation.to_arrow_reader():
        rows = batch.num_rows
        if filled + rows > n:
            return None
        end = filled + rows
        hashed[filled:end] = batch.column(0).to_numpy()
        seq[filled:end] = batch.column(1).to_numpy()
        ts[filled:end] = batch.column(2).to_numpy()
        bits = batch.column(3).to_numpy()
        out = packed[filled:end]
        for i, (at, mask, table) in enumerate(layout.tables):
            index = (bits >> np.uint64(at)) & np.uint64(mask)
            if i == 0:
                np.take(table, index, out=out)
            else:
                out |= table[index]
        filled = end
    return (hashed, seq, ts, packed) if filled == n else None


def _match(con: duckdb.DuckDBPyConnection, hashes: np.ndarray) -> np.ndarray | None:
    """Per hash: the tix of the staged ticket whose id hashes to it, -1 if none; None when one
    matches two tickets (their ids share a hash: only the ids themselves tell them apart)."""
    con.register("_sla_keys", pa.table({"key": np.arange(len(hashes)), "h": hashes}))
    try:
        matched = con.sql(load_sql(__name__, "stg_match.sql")).to_arrow_table()
    finally:
        con.unregister("_sla_keys")
    keys = matched.column("key").to_numpy()
    tix = np.full(len(hashes), -1, dtype=np.int64)
    tix[keys] = matched.column("tix").to_numpy()
    if np.count_nonzero(tix >= 0) != len(keys):  # some key matched twice
        return None
    return tix


def _match_first_runs(con: duckdb.DuckDBPyConnection, run_hash: np.ndarray,
                      run_seq: np.ndarray) -> np.ndarray | None:
    """Per run, its ticket's tix (as ``_match``). The runs that start at event_seq 0 usually
    come in the order of those events' row ids, which ``_sla_tickets`` keeps: then their
    hashes line up with the tickets' and no join is needed for them."""
    first = np.flatnonzero(run_seq == 0)
    tickets = con.sql("SELECT tix, id_rank, hash(ticket_id) AS h FROM _sla_tickets "
                      "ORDER BY first_row").fetchnumpy()
    if not np.array_equal(tickets["tix"], tickets["id_rank"]):
        return None  # an id staged twice: a ticket with two events numbered 0
    if len(first) != len(tickets["h"]) or not np.array_equal(run_hash[first], tickets["h"]):
        return _match(con, run_hash)
    run_tix = np.full(len(run_hash), -1, dtype=np.int64)
    run_tix[first] = tickets["tix"]
    rest = np.flatnonzero(run_seq != 0)  # the ends of tickets stored in two places
    if len(rest):
        rest_tix = _match(con, run_hash[rest])
        if rest_tix is None:
            return None
        run_tix[rest] = rest_tix
    return run_tix


def _runs(hashed: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Where each run starts: a row starts one unless it continues the previous row's ticket
    (same hash) with the next event_seq."""
    n = len(seq)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    for lo in range(1, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        step = starts[lo:hi]
        np.not_equal(hashed[lo:hi], hashed[lo - 1:hi - 1], out=step)
        step |= seq[lo:hi] != seq[lo - 1:hi - 1] + 1
    return np.flatnonzero(starts)


def _place_runs(con: duckdb.DuckDBPyConnection, starts: np.ndarray, run_hash: np.ndarray,
                run_seq: np.ndarray, n: int,
                n_tickets: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Each run's place in ticket order and the events per ticket, or None when the runs are
    not each exactly one staged ticket's, or a ticket's runs do not cover its event_seq
    0, 1, ... once each."""
    run_tix = _match_first_runs(con, run_hash, run_seq)
    if run_tix is None or (run_tix < 0).any():
        return None
    lengths = np.diff(starts, append=n)
    counts = np.bincount(run_tix, weights=lengths, minlength=n_tickets).astype(np.int64)
    runs_per_ticket = np.bincount(run_tix, minlength=n_tickets)
    if len(counts) != n_tickets or not counts.all():
        return None
    split = runs_per_ticket[run_tix] > 1
    if run_seq[~split].any():  # a ticket in one run: it starts at event_seq 0
        return None
    if split.any():  # the rest: in event_seq order, each run starts where the last ended
        which = np.flatnonzero(split)
        which = which[np.lexsort((run_seq[which], run_tix[which]))]
        tix, first_seq, ends = run_tix[which], run_seq[which], run_seq[which] + lengths[which]
        new = np.r_[True, tix[1:] != tix[:-1]]
        if (first_seq != np.where(new, 0, np.r_[0, ends[:-1]])).any():
            return None
    first = np.zeros(n_tickets, dtype=np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    return first[run_tix] + run_seq, counts


def _to_ticket_order(hashed: np.ndarray, seq: np.ndarray, ts: np.ndarray, packed: np.ndarray,
                     starts: np.ndarray, run_pos: np.ndarray,
                     counts: np.ndarray) -> dict[str, np.ndarray]:
    """The events moved run by run to their place (``pos``), with pos, tix and event_seq,
    which that order determines, and the packed codes in that order.

    Fresh memory is slow to touch on the target machine, so the scan's buffers become the
    outputs where they can: the hash buffer holds the destinations and the moved codes, the
    scanned instants become ``pos``, event_seq and the scanned codes become event_seq and tix.
    """
    n = len(seq)
    first = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    if np.array_equal(run_pos, starts):  # already in ticket order: nothing moves
        pos = hashed.view(np.int64)
        _fill_arange(pos)
        tix = _fresh(n, np.int32)
        tix[first[1:]] = 1
        _cumsum_in_place(tix)
        return {"pos": pos, "tix": tix, "event_seq": seq, "ts_us": ts, "packed": packed}
    halves = hashed.view(np.int32)
    dest = halves[:n]  # each row's place: runs step by 1 and jump at their starts
    dest.fill(1)
    ends = run_pos + np.diff(starts, append=n)
    dest[starts[1:]] = run_pos[1:] - ends[:-1] + 1
    dest[0] = run_pos[0]
    _cumsum_in_place(dest)
    ts_out = _fresh(n, np.int64)
    packed_out = halves[n:].view(packed.dtype) if packed.itemsize == 4 else _fresh(n, packed.dtype)
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        to = dest[lo:hi].astype(np.intp)
        ts_out[to] = ts[lo:hi]
        packed_out[to] = packed[lo:hi]
    pos = ts
    _fill_arange(pos)
    # event_seq in ticket order: 0, 1, ... restarting at each ticket's first event
    seq.fill(1)
    seq[first[1:]] = 1 - counts[:-1]
    seq[0] = 0
    _cumsum_in_place(seq)
    tix = packed.view(np.int32) if packed.itemsize == 4 else _fresh(n, np.int32)
    tix.fill(0)
    tix[first[1:]] = 1
    _cumsum_in_place(tix)
    return {"pos": pos, "tix": tix, "event_seq": seq, "ts_us": ts_out, "packed": packed_out}


def _fresh(n: int, dtype: DTypeLike) -> np.ndarray:
    """A zero-filled array of ``n`` items, a big one in its own anonymous mapping (4 KiB
    pages). numpy asks the kernel for huge pages on big arrays, and on the target VM a huge
    page costs far more to fault in than the 4 KiB pages it replaces (~3x the system time
    per byte, measured); these arrays are written once, front to back."""
    size = n * np.dtype(dtype).itemsize
    if size < 1 << 22:
        return np.zeros(n, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, size), dtype=dtype, count=n)


def _fill_arange(out: np.ndarray) -> None:
    """out = 0, 1, 2, ... without a full-size temporary."""
    for lo in range(0, len(out), _CHUNK):
        hi = min(lo + _CHUNK, len(out))
        out[lo:hi] = np.arange(lo, hi)


def _cumsum_in_place(values: np.ndarray) -> None:
    """values = cumsum(values), chunk by chunk: numpy copies an in-place cumsum's whole input."""
    carry = 0
    for lo in range(0, len(values), _CHUNK):
        part = values[lo:lo + _CHUNK]
        np.cumsum(part, out=part)
        part += carry
        carry = int(part[-1])


def _unpack(packed: np.ndarray, layout: _Layout) -> dict[str, np.ndarray]:
    """The packed codes as one int32 array per kind, -1 for NULL; the last kind takes the
    packed codes' own memory when it is 4 bytes wide (fresh memory is slow)."""
    names = {"activity": "act", "priority": "prio", "person": "holder", "category": "cat",
             "department": "dept"}
    out: dict[str, np.ndarray] = {}
    n = len(packed)
    word = packed.dtype.type
    fields = list(layout.fields.items())
    for i, (kind, field) in enumerate(fields):
        last = i == len(fields) - 1 and packed.itemsize == 4
        codes = packed.view(np.int32) if last else _fresh(n, np.int32)
        mask, shift = word((1 << field.out_bits) - 1), word(field.out_at)
        for lo in range(0, n, _CHUNK):
            hi = min(lo + _CHUNK, n)
            np.subtract((packed[lo:hi] >> shift) & mask, 1, out=codes[lo:hi],
                        casting="unsafe")
        out[names[kind]] = codes
    return out


