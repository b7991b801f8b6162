"""Stats answered from the roll-up tables (`rollup_calls`, `rollup_entries`) instead of raw rows.

Over a million model calls a GROUP BY over `llm_calls` takes seconds; the roll-ups hold one row per
session × hour × trigger × model and give the same numbers (they are recomputed from the rows, see
rollup_hours.py) as long as the period starts and ends on whole UTC hours, which `covers` checks. The
measures are those of measures.py; the raw-row totals (row_totals.py) remain the reference and the
fallback. The additive measures of a period's whole UTC days come from `rollup_daily` (one row per day ×
attributes × model), only its partial days from `rollup_hourly`: over a year of history that is tens
of thousands of rows to sum instead of millions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.money import usd
from clawscope.store import rollup_model_sessions
from clawscope.store.measures import MODEL_KEY_SEP, empty, fill_llm, period_totals, shape_groups
from clawscope.store.sql_filters import ROLLUP_ATTRS, branch_where, bucket, day_parts, where

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
_COLUMNS = (
    "instance, agent, kind, trigger, channel, provider, model, llm_calls, errors, tokens_in, tokens_out, "
    "cache_read, cache_write, total_tokens, cost, est_cost, tool_calls, tool_errors, latency_sum, latency_n"
)
_CALL_METRICS = """
  COALESCE(sum(r.llm_calls), 0) AS llm_calls, COALESCE(sum(r.errors), 0) AS errors,
  COALESCE(sum(r.tokens_in), 0) AS tokens_in, COALESCE(sum(r.tokens_out), 0) AS tokens_out,
  COALESCE(sum(r.cache_read), 0) AS cache_read, COALESCE(sum(r.cache_write), 0) AS cache_write,
  COALESCE(sum(r.total_tokens), 0) AS total_tokens, COALESCE(sum(r.cost), 0) AS cost,
  COALESCE(sum(r.est_cost), 0) AS est_cost, COALESCE(sum(r.tool_calls), 0) AS tool_calls,
  COALESCE(sum(r.tool_errors), 0) AS tool_errors,
  COALESCE(sum(r.latency_sum), 0) AS latency_sum, COALESCE(sum(r.latency_n), 0) AS latency_n
"""


def covers(f: Filters, by: str | None = None) -> bool:
    """Whether the roll-ups can answer these filters (and this grouping) exactly."""
    aligned = all(t is None or t % HOUR_MS == 0 for t in (f.since_ms, f.until_ms))
    return aligned and by != "tool"


def _where(f: Filters, p: dict[str, Any]) -> str:
    return where(f, "r.hour_ms", p, ROLLUP_ATTRS, dated="r.hour_ms >= 0")


def _branch(table: str, time: str, f: Filters, p: dict[str, Any], n: int) -> str:
    """One source of `_source`: its rows in `f`, its parameters suffixed with `n`."""
    clause = branch_where(f, f"r.{time}", p, n, dated=f"r.{time} >= 0")
    return f"SELECT r.{time} AS hour_ms, {_COLUMNS} FROM {table} r WHERE {clause}"


def _source(f: Filters, p: dict[str, Any], by: str | None = None) -> str:
    """The roll-up rows of a period of whole hours, as `(…) r` (`hour_ms`, attributes, measures): its
    whole UTC days from `rollup_daily` (their `hour_ms` is the day's midnight, which buckets by day
    and month alike), its partial days at either end from `rollup_hourly`. Per hour: hourly only."""
    whole, edges = day_parts(f)
    if by == "hour" or whole is None:
        return f"({_branch('rollup_hourly', 'hour_ms', f, p, 0)}) r"
    parts = [_branch("rollup_daily", "day_ms", whole, p, 0)]
    parts += [_branch("rollup_hourly", "hour_ms", e, p, n) for n, e in enumerate(edges, start=1)]
    return "(" + " UNION ALL ".join(parts) + ") r"


def _hour_totals(f: Filters, p: dict[str, Any]) -> str:
    """Per hour: `rollup_hour_totals` (no model or trigger: a tenth of `rollup_hourly`'s rows), or
    without attribute filters `rollup_hour_all` (one row per hour, a tenth again)."""
    clause = where(f, "r.hour_ms", p, ROLLUP_ATTRS, dated="r.hour_ms >= 0")
    table = "rollup_hour_all" if _unfiltered(f) else "rollup_hour_totals"
    return f"(SELECT * FROM {table} r WHERE {clause}) r"


period_rows = _source  # (the stacked series read the same rows: series.py)


def _key(conn: Connection, by: str) -> str:
    keys = {
        "model": f"r.provider || '{MODEL_KEY_SEP}' || r.model",
        "provider": "CASE WHEN r.provider = '' THEN 'unknown' ELSE r.provider END",
        "agent": "CASE WHEN r.agent = '' THEN 'unknown' ELSE r.agent END",
        "kind": "r.kind",
        "trigger": "r.trigger",
        "channel": "CASE WHEN r.channel = '' THEN 'none' ELSE r.channel END",
    }
    if by in keys:
        return keys[by]
    if by == "hour":  # whole hours already (-1: none): the column itself, in its index's order
        return "r.hour_ms"
    if by in _UNIT_MS:  # an integer bucket, formatted in Python: no date function per row
        return f"CASE WHEN r.hour_ms < 0 THEN -1 ELSE r.hour_ms / {_UNIT_MS[by]} END"
    return f"CASE WHEN r.hour_ms < 0 THEN NULL ELSE {bucket(conn, 'r.hour_ms', by)} END"


_UNIT_MS = {"hour": HOUR_MS, "day": 24 * HOUR_MS}
_UNIT_FMT = {"hour": "%Y-%m-%dT%H:00", "day": "%Y-%m-%d"}


@lru_cache(maxsize=1 << 16)  # a year of hours, each labelled twice per listing
def _label(by: str, k: Any) -> str:
    if by not in _UNIT_MS:
        return str(k)
    if k is None or int(k) < 0:
        return "None"
    if by == "hour":
        k = int(k) // HOUR_MS
    return datetime.fromtimestamp(int(k) * _UNIT_MS[by] / 1000, UTC).strftime(_UNIT_FMT[by])


def totals(conn: Connection, f: Filters) -> dict[str, Any]:
    """Like `row_totals.totals`, from the roll-ups (the hourly rows carry the tool counts too)."""
    calls: dict[str, Any] = {}
    entries: dict[str, Any] = {}
    return period_totals(
        conn,
        (f"SELECT {_CALL_METRICS} FROM {_source(f, calls)}", calls),
        None,
        (_distinct_sessions_and_messages(_where(f, entries), conn.dialect.name == "postgresql"), entries),
    )


def _distinct_sessions_and_messages(where: str, postgres: bool) -> str:
    """One row: the distinct sessions and the messages of the `rollup_entries r` rows matching `where`.
    On SQLite as a count of a DISTINCT subquery, not count(DISTINCT …): it walks the (sid, messages)
    index in order and counts changes instead of filling a temporary b-tree (14 ms instead of 25 at
    100,000 sessions). PostgreSQL's count(DISTINCT …) was as fast as the subquery or faster."""
    if postgres:
        return (
            f"SELECT count(DISTINCT r.sid), COALESCE(sum(r.messages), 0) FROM rollup_entries r WHERE {where}"
        )
    return (
        f"SELECT (SELECT count(*) FROM (SELECT DISTINCT r.sid FROM rollup_entries r WHERE {where}) d), "
        f"(SELECT COALESCE(sum(r.messages), 0) FROM rollup_entries r WHERE {where})"
    )


def spend(conn: Connection, f: Filters) -> tuple[int, int]:
    """Like `row_totals.spend`, from the roll-ups."""
    p: dict[str, Any] = {}
    sql = f"SELECT COALESCE(sum(r.cost), 0), COALESCE(sum(r.est_cost), 0) FROM {_source(f, p)}"
    cost, est = conn.execute(text(sql), p).one()
    return int(cost), int(est)


def groups(conn: Connection, f: Filters, by: str) -> list[dict[str, Any]]:
    """Like `row_totals.groups` (same keys, same order), from the roll-ups."""
    if by == "hour":
        return _hours(conn, f)
    out: dict[str, dict[str, Any]] = {}
    p: dict[str, Any] = {}
    key = _key(conn, by)
    sql = f"SELECT {key} AS k, {_CALL_METRICS} FROM {_source(f, p, by)} GROUP BY {key}"
    for row in conn.execute(text(sql), p):
        d = out.setdefault(_label(by, row.k), empty())
        if row.llm_calls:
            fill_llm(d, row)
        d["toolCalls"], d["toolErrors"] = int(row.tool_calls), int(row.tool_errors)
    p = {}
    for label, sessions, messages in _session_counts(conn, f, by, key, p):
        if by in ("model", "provider"):
            out[label]["sessions"] = sessions
        else:
            d = out.setdefault(label, empty())
            d["sessions"], d["messages"] = sessions, messages
    return shape_groups(out, by)


def _hours(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Per hour, from the per-hour sums alone (`_hour_totals`): their rows carry the distinct sessions
    and messages too (revision 0028), which add up across the session attributes a filter picks.
    Counting distinct sessions over `rollup_entries` instead took as long as the rest together at a
    million calls. The groups are built as `shape_groups` would, from positional columns: a year is
    8,760 groups, and named access per column and a dict merged per group doubled the request."""
    p: dict[str, Any] = {}
    sql = (
        "SELECT r.hour_ms, sum(r.llm_calls), sum(r.errors), sum(r.tokens_in), sum(r.tokens_out), "
        "sum(r.cache_read), sum(r.cache_write), sum(r.total_tokens), sum(r.cost), sum(r.est_cost), "
        "sum(r.tool_calls), sum(r.tool_errors), sum(r.latency_sum), sum(r.latency_n), sum(r.sessions), "
        f"sum(r.messages) FROM {_hour_totals(f, p)} GROUP BY r.hour_ms"
    )
    out = []
    for (
        hour,
        calls,
        errs,
        t_in,
        t_out,
        c_read,
        c_write,
        tokens,
        cost,
        est,
        tools,
        t_errs,
        lat,
        lat_n,
        ss,
        msgs,
    ) in conn.execute(text(sql), p):
        out.append(
            {
                "key": _label("hour", hour),
                "sessions": int(ss),
                "messages": int(msgs),
                "llmCalls": int(calls),
                "toolCalls": int(tools),
                "toolErrors": int(t_errs),
                "tokensIn": int(t_in),
                "tokensOut": int(t_out),
                "cacheRead": int(c_read),
                "cacheWrite": int(c_write),
                "totalTokens": int(tokens),
                "costUSD": usd(cost),
                "estimatedCostUSD": usd(est),
                "errors": int(errs),
                "avgLatencyMs": round(float(lat) / int(lat_n), 1) if lat_n else None,
            }
        )
    out.sort(key=itemgetter("key"))  # as `shape_groups` orders time buckets
    return out


# The raw columns each dimension's key is made of, and how a raw value reads (as `_key` spells it).
_RAW: dict[str, tuple[tuple[str, ...], Any]] = {
    "model": (("provider", "model"), lambda v: f"{v[0]}{MODEL_KEY_SEP}{v[1]}"),
    "provider": (("provider",), lambda v: v[0] or "unknown"),
    "agent": (("agent",), lambda v: v[0] or "unknown"),
    "kind": (("kind",), lambda v: v[0]),
    "trigger": (("trigger",), lambda v: v[0]),
    "channel": (("channel",), lambda v: v[0] or "none"),
}


def _session_counts(
    conn: Connection, f: Filters, by: str, key: str, p: dict[str, Any]
) -> list[tuple[str, int, int]]:
    """(label, distinct sessions, messages) per group. Grouping by the raw columns lets the covering
    indexes answer without touching the table (5x faster than grouping by the `_key` expression);
    the expression is used when two raw values would read the same (e.g. '' and 'unknown')."""
    calls = by in ("model", "provider")
    if calls:  # the per-day roll-up of revision 0025, unless two raw keys read the same
        _, read_key = _RAW[by]
        found = [(read_key(k), n, 0) for k, n in rollup_model_sessions.sessions(conn, f, by).items()]
        if len({label for label, _, _ in found}) == len(found):
            return found
    table = "rollup_calls" if calls else "rollup_entries"
    extra = "r.llm_calls > 0 AND " if calls else ""
    messages = "0" if calls else "COALESCE(sum(r.messages), 0)"
    where = _where(f, p)
    if by in _RAW:
        cols, read = _RAW[by]
        group = ", ".join(f"r.{c}" for c in cols)
        sql = (
            f"SELECT {group}, count(DISTINCT r.sid), {messages} FROM {table} r "
            f"WHERE {extra}{where} GROUP BY {group}"
        )
        rows = [
            (read(tuple(row[: len(cols)])), int(row[-2]), int(row[-1])) for row in conn.execute(text(sql), p)
        ]
        if len({label for label, _, _ in rows}) == len(rows):
            return rows
    if by in ("day", "month") and not calls and _unfiltered(f):
        ranged = _per_range(conn, by, where, p)
        if ranged is not None:
            return ranged
    sql = (
        f"SELECT {key} AS k, count(DISTINCT r.sid), {messages} FROM {table} r "
        f"WHERE {extra}{where} GROUP BY {key}"
    )
    return [(_label(by, row[0]), int(row[1]), int(row[2])) for row in conn.execute(text(sql), p)]


_MAX_RANGES = 480  # the most branches `_per_range` unions (SQLite allows 500 in a compound SELECT)


def _unfiltered(f: Filters) -> bool:
    return f.agent is None and f.kind is None and f.channel is None and f.instance is None


def _next_month(at: datetime) -> datetime:
    return at.replace(year=at.year + 1, month=1) if at.month == 12 else at.replace(month=at.month + 1)


def _per_range(conn: Connection, by: str, where: str, p: dict[str, Any]) -> list[tuple[str, int, int]] | None:
    """(day or month, distinct sessions, messages) of the entries matching `where` (a period, no
    attributes), one range of the (hour_ms, sid) index per day or month, each with its own small
    distinct set. At 100,000 sessions, grouping every row by a computed day took 28 ms on SQLite (43 on
    PostgreSQL), by a formatted month 36 (92); this 14 (33) and 14 (27). None when the data spans more
    than `_MAX_RANGES` buckets (the caller groups)."""
    lo, hi = conn.execute(
        text(f"SELECT min(r.hour_ms), max(r.hour_ms) FROM rollup_entries r WHERE r.hour_ms >= 0 AND {where}"),
        p,
    ).one()
    ranges: list[tuple[Any, int, int]] = []  # (key as the grouping query gives it, start, end)
    if lo is not None and by == "day":
        first, last = int(lo) // _UNIT_MS["day"], int(hi) // _UNIT_MS["day"]
        if last - first + 1 > _MAX_RANGES:
            return None
        ranges = [(d, d * _UNIT_MS["day"], (d + 1) * _UNIT_MS["day"]) for d in range(first, last + 1)]
    elif lo is not None:
        at = datetime.fromtimestamp(int(lo) / 1000, UTC).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        while at.timestamp() * 1000 <= int(hi) and len(ranges) <= _MAX_RANGES:
            following = _next_month(at)
            ranges.append(
                (at.strftime("%Y-%m"), int(at.timestamp() * 1000), int(following.timestamp() * 1000))
            )
            at = following
        if len(ranges) > _MAX_RANGES:
            return None
    q = dict(p)
    agg = "count(DISTINCT r.sid), COALESCE(sum(r.messages), 0) FROM rollup_entries r"
    branches = [f"SELECT NULL AS k, {agg} WHERE r.hour_ms < 0 AND {where}"]  # entries without a time
    for i, (k, start, end) in enumerate(ranges):
        q[f"rk_{i}"], q[f"r0_{i}"], q[f"r1_{i}"] = k, start, end
        branches.append(
            f"SELECT :rk_{i} AS k, {agg} WHERE r.hour_ms >= :r0_{i} AND r.hour_ms < :r1_{i} AND {where}"
        )
    rows = conn.execute(text(" UNION ALL ".join(branches)), q)
    return [(_label(by, row[0]), int(row[1]), int(row[2])) for row in rows if int(row[1])]
