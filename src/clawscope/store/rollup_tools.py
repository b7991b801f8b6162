"""The tool-call roll-ups (revision 0025): per-tool calls, errors and duration histograms of a period
without reading every tool call.

`/stats/tools` sorted every duration of the period to take p50/p95 (6.9 s at a million model calls).
`refresh(conn, sids)` rebuilds `rollup_tool_sid` (session × UTC hour × tool × duration bucket, with the
session's attributes) for these sessions from their tool calls, then `rollup_tool_daily` (day × tool ×
bucket) for every day those rows had or have: recomputed, never incremented, so ingest, re-ingest and
deletion leave them exact. `per_tool` reads a period of whole hours: its whole days from the daily rows,
its partial days (and any attribute filter) from the per-session ones. Counts, errors and duration sums
are exact; percentiles are within `duration_histogram.RELATIVE_ERROR` of the exact ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.duration_histogram import bucket_of, percentile
from clawscope.store.engine import execute_in
from clawscope.store.sql_filters import ROLLUP_ATTRS, where

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
_CHUNK = 500
_HOUR = "CASE WHEN t.ts_ms IS NULL THEN -1 ELSE (t.ts_ms / 3600000) * 3600000 END"
_DUR = "COALESCE(t.duration_ms, t.result_ts_ms - t.ts_ms)"
_S = "s.instance, COALESCE(s.agent_id, ''), s.kind, COALESCE(s.channel, '')"
_ATTRS = ("instance", "agent", "kind", "channel")
_COLS = ("sid", "hour_ms", "tool", "bucket", *_ATTRS, "calls", "errors", "dur_sum")

_OLD_HOURS = text("SELECT DISTINCT hour_ms FROM rollup_tool_sid WHERE sid IN :sids")
_DELETE = text("DELETE FROM rollup_tool_sid WHERE sid IN :sids")
# the calls grouped by duration value in SQL (most repeat), bucketed in Python (integers, both backends)
_CALLS = text(f"""
SELECT t.sid, {_HOUR} AS h, t.name, {_DUR} AS d, {_S},
       count(*), sum(CASE WHEN t.status = 'error' THEN 1 ELSE 0 END)
FROM tool_calls t JOIN sessions s ON s.sid = t.sid
WHERE t.sid IN :sids AND t.call_entry_id IS NOT NULL
GROUP BY t.sid, {_HOUR}, t.name, {_DUR}, {_S}""")
_INSERT = text(
    f"INSERT INTO rollup_tool_sid ({', '.join(_COLS)}) VALUES ({', '.join(':' + c for c in _COLS)})"
)
_DAY = f"CASE WHEN hour_ms < 0 THEN -1 ELSE (hour_ms / {DAY_MS}) * {DAY_MS} END"
_DAILY = f"""
INSERT INTO rollup_tool_daily (day_ms, tool, bucket, calls, errors, dur_sum)
SELECT {_DAY}, tool, bucket, sum(calls), sum(errors), sum(dur_sum)
FROM rollup_tool_sid WHERE hour_ms >= :lo AND hour_ms < :hi
GROUP BY {_DAY}, tool, bucket"""
_PER_DAY = (text("DELETE FROM rollup_tool_daily WHERE day_ms >= :lo AND day_ms < :hi"), text(_DAILY))


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild the tool roll-ups of these sessions from their rows (in the caller's write transaction,
    after the rows changed; a deleted session's rows are simply gone)."""
    ordered = sorted(set(sids))
    hours: set[int] = set()
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        hours |= {int(r[0]) for r in execute_in(conn, _OLD_HOURS, "sids", chunk)}
        execute_in(conn, _DELETE, "sids", chunk)
        rows = _session_rows(execute_in(conn, _CALLS, "sids", chunk))
        if rows:
            conn.execute(_INSERT, rows)
        hours |= {r["hour_ms"] for r in rows}
    refresh_days(conn, {_day_of(h) for h in hours})


def _session_rows(found: Iterable[Any]) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for sid, hour, tool, dur, instance, agent, kind, channel, n, errors in found:
        known = dur is not None and dur >= 0
        b = bucket_of(int(dur)) if known else -1
        row = out.setdefault(
            (sid, hour, tool, b),
            {
                "sid": sid,
                "hour_ms": int(hour),
                "tool": tool,
                "bucket": b,
                "instance": instance,
                "agent": agent,
                "kind": kind,
                "channel": channel,
                "calls": 0,
                "errors": 0,
                "dur_sum": 0,
            },
        )
        row["calls"] += int(n)
        row["errors"] += int(errors)
        row["dur_sum"] += int(dur) * int(n) if known else 0
    return list(out.values())


def _day_of(hour_ms: int) -> int:
    return -1 if hour_ms < 0 else hour_ms // DAY_MS * DAY_MS


def refresh_days(conn: Connection, days: Iterable[int]) -> None:
    """Rebuild these days of `rollup_tool_daily` from the per-session rows."""
    for d in sorted(days):
        lo, hi = (-(2**62), 0) if d < 0 else (d, d + DAY_MS)
        for stmt in _PER_DAY:
            conn.execute(stmt, {"lo": lo, "hi": hi})


def rebuild(conn: Connection) -> None:
    """Both tables from the tool calls, from scratch (the migration that adds them, repair)."""
    conn.execute(text("DELETE FROM rollup_tool_sid"))
    conn.execute(text("DELETE FROM rollup_tool_daily"))
    sids = [int(r[0]) for r in conn.execute(text("SELECT DISTINCT sid FROM tool_calls"))]
    for i in range(0, len(sids), _CHUNK):
        chunk = sids[i : i + _CHUNK]
        rows = _session_rows(execute_in(conn, _CALLS, "sids", chunk))
        if rows:
            conn.execute(_INSERT, rows)
    conn.execute(text(_DAILY), {"lo": -(2**62), "hi": 2**62})


# -- reading ---------------------------------------------------------------------------------------------


def covers(f: Filters) -> bool:
    """Whether these filters are answered exactly (periods of whole UTC hours)."""
    return all(t is None or t % HOUR_MS == 0 for t in (f.since_ms, f.until_ms))


def _branch(table: str, time: str, f: Filters, p: dict[str, Any], n: int) -> str:
    own: dict[str, Any] = {}
    clause = where(f, f"r.{time}", own, ROLLUP_ATTRS, dated=f"r.{time} >= 0")
    for k, v in own.items():
        clause = clause.replace(f":{k}", f":{k}_{n}")
        p[f"{k}_{n}"] = v
    return f"SELECT r.tool, r.bucket, r.calls, r.errors FROM {table} r WHERE {clause}"


def _source(f: Filters, p: dict[str, Any]) -> str:
    """The roll-up rows of the period: whole UTC days from `rollup_tool_daily` unless an attribute is
    filtered, the rest from `rollup_tool_sid`."""
    if any(v is not None for v in (f.agent, f.kind, f.channel, f.instance)):
        return _branch("rollup_tool_sid", "hour_ms", f, p, 0)
    since, until = f.since_ms, f.until_ms
    d0 = None if since is None else -(-since // DAY_MS) * DAY_MS
    d1 = None if until is None else until // DAY_MS * DAY_MS
    if d0 is not None and d1 is not None and d0 >= d1:
        return _branch("rollup_tool_sid", "hour_ms", f, p, 0)
    parts = [_branch("rollup_tool_daily", "day_ms", Filters(since_ms=d0, until_ms=d1), p, 0)]
    if since is not None and d0 is not None and since < d0:
        parts.append(_branch("rollup_tool_sid", "hour_ms", Filters(since, d0), p, 1))
    if until is not None and d1 is not None and d1 < until:
        parts.append(_branch("rollup_tool_sid", "hour_ms", Filters(d1, until), p, 2))
    return " UNION ALL ".join(parts)


def per_tool(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Per tool: `key`, `toolCalls`, `toolErrors`, `p50DurationMs`, `p95DurationMs` (from the
    histogram), most called first; the same tools and counts as `ToolCalls.per_tool` over the rows."""
    p: dict[str, Any] = {}
    sql = (
        f"SELECT x.tool, x.bucket, sum(x.calls), sum(x.errors) FROM ({_source(f, p)}) x "
        "GROUP BY x.tool, x.bucket ORDER BY x.tool, x.bucket"
    )
    stats: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}
    for tool, b, calls, errors in conn.execute(text(sql), p):
        counts, hist = stats.setdefault(tool, ([0, 0], []))
        counts[0] += int(calls)
        counts[1] += int(errors)
        if b >= 0:
            hist.append((int(b), int(calls)))
    ranked = sorted(stats.items(), key=lambda item: (-item[1][0][0], item[0]))
    return [
        {
            "key": tool,
            "toolCalls": c[0],
            "toolErrors": c[1],
            "p50DurationMs": percentile(h, 50),
            "p95DurationMs": percentile(h, 95),
        }
        for tool, (c, h) in ranked
        if c[0]
    ]
