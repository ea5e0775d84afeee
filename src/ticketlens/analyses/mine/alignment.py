"""Optimal alignments of activity sequences against a transition model, vectorised over variants.

The model is an automaton whose state is the last lifecycle activity executed (plus a start
state). Aligning a trace means explaining every event either as a *synchronous* move (the model
allows it from the current state) or a *log move* (an event the model does not expect here:
**inserted**), with *model moves* (a step the model requires but the ticket never did:
**skipped**) where needed. Log and model moves cost 1 each; the alignment minimises the total
cost, so a ticket fits exactly when its cost is 0. An activity that is both inserted and skipped
in one trace happened, but at the wrong place: the pair is reported once as **out_of_order**.

Model moves only ever matter right before a synchronous move or at the end, so with ``D`` the
shortest-path matrix of the model, one dynamic-programming step per event position suffices::

    cost'[t]   = cost[t] + 1                                  (log move, state unchanged)
    cost'[a_i] = min(cost'[a_i], min_s cost[s] + K[s, a_i])   (skip K[s, a_i] steps, then sync)

where ``K[s, a] = min { D[s, p] : p -> a allowed }``. All variants advance together (numpy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ticketlens.analyses.mine.model import ReferenceModel

_INF = 1 << 40


@dataclass(frozen=True)
class Alignments:
    """``cost`` per trace, and ``deviations``: one row per deviation with ``trace`` (index),
    ``position`` (0-based event index the deviation sits before or at; skipped steps at the
    end sit at the trace length), ``kind`` (inserted / skipped / out_of_order), ``activity``."""

    cost: np.ndarray
    deviations: pd.DataFrame


@dataclass(frozen=True)
class _Automaton:
    names: tuple[str, ...]      # model activities; state i = "i was the last activity"
    start_state: int            # = len(names)
    allowed: np.ndarray         # (states, activities) bool
    next_hop: np.ndarray        # (states, states) first state on a shortest path
    skip_cost: np.ndarray       # K: (states, activities)
    skip_via: np.ndarray        # argmin p of K
    end_cost: np.ndarray        # (states,)
    end_via: np.ndarray         # (states,) the end state reached

    def path(self, source: int, target: int) -> list[int]:
        """States visited from ``source`` to ``target`` (excluding source, including target)."""
        visited = []
        while source != target:
            source = int(self.next_hop[source, target])
            visited.append(source)
        return visited


def build_automaton(model: ReferenceModel, *, strict_end: bool) -> _Automaton:
    names = model.activities
    index = {name: i for i, name in enumerate(names)}
    size = len(names)
    states = size + 1
    allowed = np.zeros((states, size), dtype=bool)
    for activity in model.start:
        allowed[size, index[activity]] = True
    for source, targets in model.transitions.items():
        for target in targets:
            allowed[index[source], index[target]] = True

    # Floyd–Warshall over at most a few hundred states: exact shortest paths and next hops.
    distance = np.full((states, states), _INF, dtype=np.int64)
    next_hop = np.tile(np.arange(states), (states, 1))
    np.fill_diagonal(distance, 0)
    sources, targets = np.nonzero(allowed)
    distance[sources, targets] = np.minimum(distance[sources, targets], 1)
    next_hop[sources, targets] = targets
    for k in range(states):
        through = distance[:, [k]] + distance[[k], :]
        better = through < distance
        distance = np.where(better, through, distance)
        next_hop = np.where(better, next_hop[:, [k]], next_hop)

    # K[s, a]: the cheapest way from s to a state p that allows a.
    via_cost = np.where(allowed[None, :, :], distance[:, :, None], _INF)  # (s, p, a)
    skip_via = via_cost.argmin(axis=1)
    skip_cost = np.take_along_axis(via_cost, skip_via[:, None, :], axis=1)[:, 0, :]

    if strict_end:
        ends = np.array([index[a] for a in model.end])
        end_choice = distance[:, ends]
        end_via = ends[end_choice.argmin(axis=1)]
        end_cost = end_choice.min(axis=1)
    else:
        end_via = np.arange(states)
        end_cost = np.zeros(states, dtype=np.int64)
    return _Automaton(names, size, allowed, next_hop, skip_cost, skip_via, end_cost, end_via)


def align(traces: list[np.ndarray], automaton: _Automaton,
          extra_names: tuple[str, ...] = ()) -> Alignments:
    """Align each trace (an int array of activity codes: ``< len(names)`` = model activity,
    ``len(names) + k`` = ``extra_names[k]``, an activity the model does not know)."""
    count = len(traces)
    lengths = np.fromiter((len(t) for t in traces), dtype=np.int64, count=count)
    # Longest first, so the traces still running at position i are a prefix of the rows.
    order = np.argsort(-lengths, kind="stable")
    longest = int(lengths.max()) if count else 0
    codes = np.full((count, longest), -1, dtype=np.int64)
    for row, trace_index in enumerate(order):
        codes[row, : lengths[trace_index]] = traces[trace_index]
    sorted_lengths = lengths[order]
    size = len(automaton.names)

    cost = np.full((count, size + 1), _INF, dtype=np.int64)
    cost[:, automaton.start_state] = 0
    synced = np.zeros((count, longest), dtype=bool)
    came_from = np.zeros((count, longest), dtype=np.int32)
    for i in range(longest):
        active = int(np.searchsorted(-sorted_lengths, -i, side="left"))  # lengths > i
        live = cost[:active]
        step = live + 1
        activity = codes[:active, i]
        rows = np.flatnonzero(activity < size)
        if len(rows):
            targets = activity[rows]
            candidates = live[rows] + automaton.skip_cost[:, targets].T
            best_source = candidates.argmin(axis=1)
            best = candidates[np.arange(len(rows)), best_source]
            # On ties keep the log move: the earliest events stay synchronous, so a reopen loop
            # reads as the inserted steps after the first closure.
            take = best < step[rows, targets]
            step[rows[take], targets[take]] = best[take]
            synced[rows[take], i] = True
            came_from[rows[take], i] = best_source[take]
        cost[:active] = step

    total = cost + automaton.end_cost[None, :]
    final_state = total.argmin(axis=1)
    final_cost = total[np.arange(count), final_state]

    deviations = _backtrack(codes, sorted_lengths, synced, came_from, final_state, automaton,
                            extra_names)
    # Back to the caller's trace order.
    deviations["trace"] = order[deviations["trace"].to_numpy()]
    unsorted_cost = np.empty(count, dtype=np.int64)
    unsorted_cost[order] = final_cost
    deviations = _pair_out_of_order(deviations)
    return Alignments(unsorted_cost, deviations)


def _backtrack(codes: np.ndarray, lengths: np.ndarray, synced: np.ndarray,
               came_from: np.ndarray, final_state: np.ndarray, automaton: _Automaton,
               extra_names: tuple[str, ...]) -> pd.DataFrame:
    names = np.array([*automaton.names, *extra_names], dtype=object)
    inserted: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    skips: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    # Skipped steps at the end of a trace, before the final state would be an end activity.
    end_target = automaton.end_via[final_state]
    at_end = np.flatnonzero(end_target != final_state)
    skips.append((at_end, lengths[at_end], final_state[at_end], end_target[at_end]))

    state = final_state.copy()
    for i in range(codes.shape[1] - 1, -1, -1):
        activity = codes[:, i]
        present = activity >= 0
        is_sync = present & synced[:, i] & (state == activity)
        is_log = present & ~is_sync
        rows = np.flatnonzero(is_log)
        inserted.append((rows, np.full(len(rows), i), activity[rows]))
        rows = np.flatnonzero(is_sync)
        source = came_from[rows, i].astype(np.int64)
        target = activity[rows]
        via = automaton.skip_via[source, target]
        gap = np.flatnonzero(via != source)
        skips.append((rows[gap], np.full(len(gap), i), source[gap], via[gap]))
        state[rows] = source
    if len(state) and not np.all(state == automaton.start_state):  # pragma: no cover
        raise AssertionError("alignment backtrack did not return to the start state")

    frames = [pd.DataFrame({"trace": rows, "position": pos, "kind": "inserted",
                            "activity": names[act]})
              for rows, pos, act in inserted if len(rows)]
    frames.extend(_expand_skips(skips, automaton, names))
    if not frames:
        return pd.DataFrame({"trace": pd.Series(dtype="int64"),
                             "position": pd.Series(dtype="int64"),
                             "kind": pd.Series(dtype="str"), "activity": pd.Series(dtype="str")})
    return pd.concat(frames, ignore_index=True)


def _expand_skips(skips: list[tuple[np.ndarray, ...]], automaton: _Automaton,
                  names: np.ndarray) -> list[pd.DataFrame]:
    """Turn (trace, position, from-state, to-state) jumps into one row per skipped activity."""
    rows = np.concatenate([s[0] for s in skips]) if skips else np.array([], dtype=np.int64)
    if not len(rows):
        return []
    positions = np.concatenate([s[1] for s in skips])
    sources = np.concatenate([s[2] for s in skips])
    targets = np.concatenate([s[3] for s in skips])
    jumps = pd.DataFrame({"trace": rows, "position": positions, "source": sources,
                          "target": targets})
    # Few distinct jumps exist (states x states): expand each path once, then explode.
    unique = jumps[["source", "target"]].drop_duplicates()
    paths = {(s, t): automaton.path(int(s), int(t))
             for s, t in zip(unique["source"], unique["target"], strict=True)}
    jumps["state"] = [paths[(s, t)] for s, t in zip(jumps["source"], jumps["target"],
                                                     strict=True)]
    jumps = jumps.explode("state", ignore_index=True)
    return [pd.DataFrame({"trace": jumps["trace"].to_numpy(dtype=np.int64),
                          "position": jumps["position"].to_numpy(dtype=np.int64),
                          "kind": "skipped",
                          "activity": names[jumps["state"].to_numpy(dtype=np.int64)]})]


def _pair_out_of_order(deviations: pd.DataFrame) -> pd.DataFrame:
    """An activity both inserted and skipped in one trace is one out-of-order step."""
    deviations = deviations.sort_values(["trace", "position", "kind"], kind="stable",
                                        ignore_index=True)
    if deviations.empty:
        return deviations
    key = [deviations["trace"], deviations["activity"]]
    kinds = deviations["kind"]
    inserted = kinds.eq("inserted").groupby(key).transform("sum")
    skipped = kinds.eq("skipped").groupby(key).transform("sum")
    pairs = np.minimum(inserted, skipped)
    rank = deviations.groupby([deviations["trace"], deviations["activity"], kinds]).cumcount()
    moved = kinds.eq("inserted") & (rank < pairs)
    dropped = kinds.eq("skipped") & (rank < pairs)
    deviations.loc[moved, "kind"] = "out_of_order"
    return deviations.loc[~dropped].reset_index(drop=True)
