"""Decide how a text column of timestamps is written, from the data, and refuse to guess.

Candidate formats are tried on a sample; the family (year first, day first, month first, with
or without a UTC offset) that parses the most values wins. Day-first against month-first is
decided on the *whole* column: a value whose first field is above 12 proves day-first, one whose
second field is above 12 proves month-first; with no such value the data cannot tell and ingest
stops, asking for ``--dayfirst`` / ``--monthfirst`` or ``--timestamp-format``.

Parsing is one DuckDB expression (``try_strptime`` with the family's formats); a naive value is
read in the ingest time zone and stored as an absolute instant.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ticketlens.core.errors import ConfigError, InputError

SAMPLE_ROWS = 10_000

_TIMES = (" %H:%M:%S.%f", " %H:%M:%S", " %H:%M", "")
_TIMES_12H = (" %I:%M:%S %p", " %I:%M %p")
_ISO_TIMES = ("T%H:%M:%S.%f", "T%H:%M:%S", "T%H:%M")
_OFFSETS = ("%z", " %z")


def _family(dates: tuple[str, ...], times: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(d + t for d in dates for t in times)


# Each family: (name, order, aware, formats). ``order`` pairs day-first with month-first.
FAMILIES: tuple[tuple[str, str | None, bool, tuple[str, ...]], ...] = (
    ("year-first", None, False,
     _family(("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"), (*_TIMES, *_ISO_TIMES))),
    ("year-first with UTC offset", None, True,
     tuple(f + o for f in _family(("%Y-%m-%d", "%Y/%m/%d"), (*_TIMES[:3], *_ISO_TIMES))
           for o in _OFFSETS)),
    ("day-first", "day", False,
     _family(("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y"),
             (*_TIMES, *_TIMES_12H))),
    ("month-first", "month", False,
     _family(("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m-%d-%y", "%m.%d.%y"),
             (*_TIMES, *_TIMES_12H))),
    ("day-first with UTC offset", "day", True,
     tuple(f + o for f in _family(("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"), _TIMES[:3])
           for o in _OFFSETS)),
    ("month-first with UTC offset", "month", True,
     tuple(f + o for f in _family(("%m/%d/%Y", "%m-%d-%Y"), _TIMES[:3]) for o in _OFFSETS)),
    ("month name", None, False,
     _family(("%d/%b/%y", "%d/%b/%Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%b %d, %Y",
              "%B %d, %Y", "%d %B %Y"), (*_TIMES, *_TIMES_12H))),
)


@dataclass(frozen=True)
class TimestampFormat:
    """How to parse one column: DuckDB formats, whether values carry an offset, and why."""

    formats: tuple[str, ...]
    aware: bool
    family: str
    evidence: str

    def describe(self) -> str:
        return f"{self.family} ({self.formats[0]}{', ...' if len(self.formats) > 1 else ''})"


def clean_sql(value_sql: str) -> str:
    """Trim, and spell a trailing ``Z`` as ``+00:00`` (DuckDB's %z wants digits)."""
    return (
        f"CASE WHEN suffix(trim({value_sql}), 'Z') THEN trim({value_sql})[:-2] || '+00:00' "
        f"ELSE trim({value_sql}) END"
    )


def parse_sql(value_sql: str, spec: TimestampFormat, tz_ref: str, fmt_ref: str) -> str:
    """A TIMESTAMPTZ expression (NULL where the value does not parse).

    ``tz_ref``/``fmt_ref``: SQL references to the bound zone and format list (``$p1`` or
    ``getvariable('...')``); the zone is unused when the values carry their offset.
    """
    parsed = f"try_strptime({clean_sql(value_sql)}, {fmt_ref})"
    return parsed if spec.aware else f"timezone({tz_ref}, {parsed})"


def explicit_format(formats: str | tuple[str, ...] | list[str]) -> TimestampFormat:
    items = (formats,) if isinstance(formats, str) else tuple(formats)
    if not items or not all(isinstance(f, str) and "%" in f for f in items):
        raise ConfigError(
            f"timestamp format {formats!r} is not a strptime pattern such as '%d/%m/%Y %H:%M'"
        )
    aware = any("%z" in f or "%Z" in f for f in items)
    return TimestampFormat(items, aware, "as given", "--timestamp-format")


def detect_format(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    value_sql: str,
    *,
    what: str,
    dayfirst: bool | None = None,
    location_sql: str = "source_row",
) -> TimestampFormat | None:
    """Pick the format family of ``value_sql`` over ``relation``; None when all values are missing.

    ``what`` names the column in messages ("column 'sys_updated_at' of incidents.csv").
    """
    cleaned = clean_sql(value_sql)
    # Distinct values from the head and a reproducible random sample are enough to tell the
    # format family; the day/month decision, when needed, looks at every value.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ts_sample AS
        SELECT DISTINCT v FROM (
            SELECT * FROM (SELECT {cleaned} AS v FROM {relation}
                           WHERE {value_sql} IS NOT NULL LIMIT {SAMPLE_ROWS})
            UNION ALL
            SELECT * FROM (SELECT {cleaned} AS v FROM {relation} WHERE {value_sql} IS NOT NULL
                           USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7)))
        """
    )
    values = [row[0] for row in con.execute("SELECT v FROM ts_sample LIMIT 3").fetchall()]
    if not values:
        return None
    # One pass of every candidate over at most 20 values per digit shape ("9999-99-99 99:99"):
    # a handful of rows instead of the whole sample.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ts_reps AS SELECT v FROM (SELECT v, row_number() OVER "
        "(PARTITION BY regexp_replace(v, '[0-9]', '9', 'g') ORDER BY v) AS rn FROM ts_sample) "
        "WHERE rn <= 20"
    )
    all_formats = [f for _, _, _, formats in FAMILIES for f in formats]
    counts_sql = ", ".join(f"count(try_strptime(v, $f{i}))" for i in range(len(all_formats)))
    counts = con.execute(
        f"SELECT {counts_sql} FROM ts_reps", {f"f{i}": f for i, f in enumerate(all_formats)}
    ).fetchall()[0]
    per_format = dict(zip(all_formats, counts, strict=True))
    scored = []
    for name, order, aware, formats in FAMILIES:
        used = tuple(sorted((f for f in formats if per_format[f]), key=lambda f: -per_format[f]))
        if not used:
            continue
        parsed = con.execute(
            "SELECT count(try_strptime(v, $f)) FROM ts_sample", {"f": list(used)}
        ).fetchall()[0][0]
        scored.append((parsed, name, order, aware, used))
    if not scored:
        examples = ", ".join(repr(v) for v in dict.fromkeys(values[:3]))
        raise InputError(
            f"{what}: timestamps like {examples} match no known format: pass "
            "--timestamp-format (strptime pattern, e.g. '%d.%m.%Y %H:%M')"
        )
    scored.sort(key=lambda s: -s[0])
    best = scored[0]
    if best[2] is None:
        return TimestampFormat(best[4], best[3], best[1], "the only format that fits")
    # Day/month order: the mirror formats (%d and %m swapped) are always checked against the
    # whole column, so a single value anywhere can prove the order, or contradict it.
    mirror_name = next(n for n, o, a, _ in FAMILIES if o not in (None, best[2]) and a == best[3])
    mirror = (0, mirror_name, "month" if best[2] == "day" else "day", best[3],
              tuple(_swap_day_month(f) for f in best[4]))
    day, month = (best, mirror) if best[2] == "day" else (mirror, best)
    if dayfirst is not None:
        chosen = day if dayfirst else month
        flag = "--dayfirst" if dayfirst else "--monthfirst"
        return TimestampFormat(chosen[4], chosen[3], chosen[1], flag)
    return _decide_day_month(con, relation, cleaned, location_sql, day, month, what)


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _decide_day_month(
    con: duckdb.DuckDBPyConnection, relation: str, cleaned: str, location_sql: str,
    day: tuple, month: tuple, what: str,
) -> TimestampFormat:
    """Look at every value: one that parses only day-first proves day-first, and vice versa."""
    row = con.execute(
        f"""
        SELECT count(*) FILTER (WHERE d IS NOT NULL AND m IS NULL),
               count(*) FILTER (WHERE m IS NOT NULL AND d IS NULL),
               arg_min(v, loc) FILTER (WHERE d IS NOT NULL AND m IS NULL),
               min(loc) FILTER (WHERE d IS NOT NULL AND m IS NULL),
               arg_min(v, loc) FILTER (WHERE m IS NOT NULL AND d IS NULL),
               min(loc) FILTER (WHERE m IS NOT NULL AND d IS NULL),
               count(*) FILTER (WHERE d IS NOT NULL AND m IS NOT NULL),
               arg_min(v, loc) FILTER (WHERE d IS NOT NULL AND m IS NOT NULL),
               min(loc) FILTER (WHERE d IS NOT NULL AND m IS NOT NULL)
        FROM (SELECT v, loc, try_strptime(v, $day) AS d, try_strptime(v, $month) AS m
              FROM (SELECT {cleaned} AS v, {location_sql} AS loc FROM {relation}) WHERE v IS NOT NULL)
        """,
        {"day": list(day[4]), "month": list(month[4])},
    ).fetchall()[0]
    assert row is not None
    (only_day, only_month, day_example, day_line, month_example, month_line, both,
     both_example, both_line) = row
    if only_day and only_month:
        raise InputError(
            f"{what}: timestamps mix day-first ({day_example!r}, line {day_line}) and "
            f"month-first ({month_example!r}, line {month_line}) values: the data contradicts "
            "itself; fix the export or pass --timestamp-format"
        )
    if only_day:
        return TimestampFormat(
            day[4], day[3], day[1],
            f"day-first: {only_day} value(s) such as {day_example!r} (line {day_line}) "
            "have a first field above 12",
        )
    if only_month:
        return TimestampFormat(
            month[4], month[3], month[1],
            f"month-first: {only_month} value(s) such as {month_example!r} (line {month_line}) "
            "have a second field above 12",
        )
    raise InputError(
        f"{what}: the timestamps are ambiguous — all {both} values (e.g. {both_example!r} at "
        f"line {both_line}) read both day-first and month-first, and none has a field above 12. "
        "Tell ingest which: pass --dayfirst or --monthfirst (or --timestamp-format)"
    )
