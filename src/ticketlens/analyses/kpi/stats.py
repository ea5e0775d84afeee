"""The statistical checks, each with its test named and an effect size beside the p-value.

* Chi-square test of independence, priority × resolution breach, with Cramér's V;
* Mann–Whitney U test of resolution time, escalated vs not escalated tickets, with the
  rank-biserial correlation (and the probability of superiority it is derived from).

A test that cannot be computed on the data (a group empty, one category only) gives a row with
the reason in ``note`` and no statistic — never a made-up value.
"""

from __future__ import annotations

import json
import math
from typing import Any

import duckdb
import numpy as np
from scipy import stats

TEST_COLUMNS = ("test", "question", "n", "statistic", "dof", "p_value", "effect_size_name",
                "effect_size", "groups", "note")


def _row(**values: Any) -> dict[str, Any]:
    row = dict.fromkeys(TEST_COLUMNS)
    row.update(values)
    return row


def chi_square_priority_breach(con: duckdb.DuckDBPyConnection, metric: str | None) -> dict:
    """Chi-square of priority vs breached (tickets with a verdict on ``metric``)."""
    base = {"test": "chi-square test of independence",
            "question": f"is {metric or 'resolution'} breach independent of priority?",
            "effect_size_name": "Cramér's V"}
    if metric is None:
        return _row(**base, n=0, note="the policy has no resolution metric")
    rows = con.execute(
        "SELECT priority_key, count(*) FILTER (WHERE breached), count(*) FILTER (WHERE NOT breached)"
        " FROM _kpi_verdicts WHERE metric = $metric AND breached IS NOT NULL"
        " GROUP BY priority_key ORDER BY priority_key", {"metric": metric}).fetchall()
    table = np.array([[b, m] for _, b, m in rows], dtype=np.int64).reshape(-1, 2)
    n = int(table.sum())
    groups = {p: {"breached": int(b), "in_time": int(m)} for p, b, m in rows}
    # Rows or columns that are all zero carry no information and break the expected counts.
    table = table[table.sum(axis=1) > 0]
    table = table[:, table.sum(axis=0) > 0] if len(table) else table
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 2:
        return _row(**base, n=n, groups=json.dumps(groups),
                    note="needs at least two priorities and both breached and in-time tickets")
    result = stats.chi2_contingency(table, correction=False)
    chi2 = float(result.statistic)
    v = math.sqrt(chi2 / (n * (min(table.shape) - 1)))
    return _row(**base, n=n, statistic=chi2, dof=int(result.dof), p_value=float(result.pvalue),
                effect_size=v, groups=json.dumps(groups),
                note="no continuity correction; expected counts below 5 make p approximate"
                if (result.expected_freq < 5).any() else None)


def mann_whitney_escalated(con: duckdb.DuckDBPyConnection) -> dict:
    """Mann–Whitney U of resolution hours, escalated (≥ 1 escalation) vs not."""
    base = {"test": "Mann-Whitney U test (two-sided)",
            "question": "do escalated tickets take longer to resolve than the others?",
            "effect_size_name": "rank-biserial correlation (escalated vs not)"}
    data = con.execute(
        "SELECT resolution_hours, escalations > 0 AS escalated FROM _kpi_facts "
        "WHERE resolution_hours IS NOT NULL AND escalations IS NOT NULL").fetchnumpy()
    hours = np.asarray(data["resolution_hours"], dtype=np.float64)
    escalated = np.asarray(data["escalated"], dtype=bool)
    x, y = hours[escalated], hours[~escalated]
    groups = {
        "escalated": {"n": len(x), "median_hours": float(np.median(x)) if len(x) else None},
        "not_escalated": {"n": len(y), "median_hours": float(np.median(y)) if len(y) else None},
    }
    if len(x) == 0 or len(y) == 0:
        return _row(**base, n=len(hours), groups=json.dumps(groups),
                    note="needs resolved tickets both with and without escalation")
    result = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    u = float(result.statistic)
    superiority = u / (len(x) * len(y))  # P(escalated > not) + ½ P(tie)
    groups["probability_of_superiority"] = superiority
    return _row(**base, n=len(hours), statistic=u, p_value=float(result.pvalue),
                effect_size=2 * superiority - 1, groups=json.dumps(groups))
