"""The SLA engine's C kernel: a caller's mistake is a ValueError naming the argument, never a
stray read or write, and the limits it has are refused where a user meets them (the policy)."""

from __future__ import annotations

import numpy as np
import pytest

from sla_support import policy_with
from ticketlens.clock import _kernel
from ticketlens.core.errors import ConfigError

N_TICKETS, N_EVENTS, SLOTS = 2, 5, 3  # tickets of 3 and 2 events; priorities + "none"


def _clock_args(**changes: object) -> list[object]:
    ts = np.arange(N_EVENTS, dtype=np.int64) * 1_000_000
    args: dict[str, object] = {
        "first": np.array([0, 3], dtype=np.int64),
        "count": np.array([3, 2], dtype=np.int64),
        "ts": ts,
        "act": np.array([0, 1, 2, 0, 1], dtype=np.int32),
        "prio": np.zeros(N_EVENTS, dtype=np.int32),
        "bits": np.array([1, 2, 0, 0], dtype=np.uint8),  # start, stop, other, "none" slot
        "target": np.array([10, 20, -1], dtype=np.int64),
        "cal_of": np.zeros(SLOTS, dtype=np.int32),
        "cums": (ts,),
        "offsets": np.zeros(1, dtype=np.int64),
        "now": np.array([N_EVENTS * 1_000_000], dtype=np.int64),
        "thresholds": np.array([[10, 20, -1]], dtype=np.int64),
        "as_of": N_EVENTS * 1_000_000,
        "on_reopen": 0,
        "on_priority_change": 0,
        "out8": np.empty((3, N_TICKETS), dtype=np.int8),
        "out64": np.empty((4, N_TICKETS), dtype=np.int64),
        "outf": np.empty((7, N_TICKETS), dtype=np.float64),
        "out32": np.empty(N_TICKETS, dtype=np.int32),
        "cross64": np.empty((2, 1, N_TICKETS), dtype=np.int64),
        "cross8": np.zeros((1, N_TICKETS), dtype=np.int8),
        "cross32": np.zeros((1, N_TICKETS), dtype=np.int32),
    }
    args.update(changes)
    return list(args.values())


def test_a_valid_call_measures_both_tickets() -> None:
    args = _clock_args()
    _kernel.clock(*args)
    out64, outf = args[16], args[17]
    assert isinstance(out64, np.ndarray) and isinstance(outf, np.ndarray)
    started_at, stopped_at = out64[0], out64[1]
    # ticket 0 starts at its first event and stops at its second; ticket 1 likewise
    assert started_at.tolist() == [0, 3_000_000]
    assert stopped_at.tolist() == [1_000_000, 4_000_000]
    assert outf[0].tolist() == [1.0, 1.0]  # one second on the clock each


@pytest.mark.parametrize(("change", "named"), [
    ({"act": np.zeros(N_EVENTS - 1, dtype=np.int32)}, "act"),
    ({"act": np.zeros(N_EVENTS, dtype=np.int64)}, "act"),
    ({"out64": np.empty((3, N_TICKETS), dtype=np.int64)}, "out64"),
    ({"outf": np.empty((7, N_TICKETS), dtype=np.float32)}, "outf"),
    ({"cal_of": np.array([0, 5, 0], dtype=np.int32)}, "cal_of"),
    ({"count": np.array([3, 3], dtype=np.int64)}, "first/count"),
    ({"cums": ()}, "cums"),
])
def test_a_bad_argument_is_a_value_error_naming_it(change: dict[str, object],
                                                  named: str) -> None:
    with pytest.raises(ValueError, match=named):
        _kernel.clock(*_clock_args(**change))


def test_read_only_outputs_are_refused() -> None:
    out8 = np.empty((3, N_TICKETS), dtype=np.int8)
    out8.flags.writeable = False
    with pytest.raises(ValueError):
        _kernel.clock(*_clock_args(out8=out8))


def test_technicians_refuses_too_small_an_output() -> None:
    first, count = np.array([0], dtype=np.int64), np.array([3], dtype=np.int64)
    holder = np.array([0, 1, 2], dtype=np.int32)  # three named events, room for two pairs
    with pytest.raises(ValueError, match="capacity"):
        _kernel.technicians(first, count, np.zeros(3, dtype=np.int32), holder,
                            np.zeros(2, dtype=np.uint32), np.empty((2, 2), dtype=np.int32),
                            np.empty((3, 2), dtype=np.int64), np.empty((3, 1), dtype=np.int64))


def test_a_policy_with_more_waits_than_the_engine_holds_is_refused() -> None:
    edit = "\n".join(f'[waits.w{i}]\nenter = ["on_hold"]\nleave = "any"' for i in range(12))
    with pytest.raises(ConfigError, match=r"waits: at most 11 waiting states, got 15"):
        policy_with(edit)
