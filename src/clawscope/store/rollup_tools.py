"""The tool-call roll-ups (revision 0025): per-tool calls, errors and duration histograms of a period
without reading every tool call.

`/stats/tools` sorted every duration of the period to take p50/p95 (6.9 s at a million model calls).
`refresh(conn, sids)` rebuilds `rollup_tool_sid` (session × UTC hour × tool × duration bucket, with the
session's attributes) for these sessions from their tool calls, and moves `rollup_tool_blocks` (blocks
of 1, 4, 16, … 1,024 aligned UTC days, and one of every day, × tool × bucket) by exactly the difference
between the sessions' old and new rows, in the same transaction: the blocks always equal the sum of
the per-session rows, whatever order writes, re-reads and deletions come in (`rebuild` makes them
from scratch; a test compares). A period of whole hours reads its whole days as a few blocks (all
time: one; a 30-day window: at most 12), its partial days, and any attribute filter, from the
per-session rows. Counts, errors and duration sums are exact; percentiles are within
`duration_histogram.RELATIVE_ERROR` of the exact ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.duration_histogram import bucket_of, percentile
from clawscope.store.engine import execute_in, placeholder
from clawscope.store.sql_filters import branch_where, day_parts

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
LEVELS = 6  # blocks of 4**0 … 4**5 (1,024) days
UNDATED = (-1, 0)  # the (level, start_day) of the rows without a timestamp
ALL_DAYS = (99, 0)  # every dated day: what a period without bounds reads (with UNDATED)
_CHUNK = 500
_HOUR = "CASE WHEN t.ts_ms IS NULL THEN -1 ELSE (t.ts_ms / 3600000) * 3600000 END"
_DUR = "COALESCE(t.duration_ms, t.result_ts_ms - t.ts_ms)"
_S = "s.instance, COALESCE(s.agent_id, ''), s.kind, COALESCE(s.channel, '')"
_ATTRS = ("instance", "agent", "kind", "channel")
_COLS = ("sid", "hour_ms", "tool", "bucket", *_ATTRS, "calls", "errors", "dur_sum")

_OLD = text(
    "SELECT hour_ms, tool, bucket, sum(calls), sum(errors), sum(dur_sum) FROM rollup_tool_sid "
    "WHERE sid IN :sids GROUP BY hour_ms, tool, bucket"
)
_DELETE = text("DELETE FROM rollup_tool_sid WHERE sid IN :sids")
# the calls grouped by duration value in SQL (most repeat), bucketed in Python (integers, both backends)
_CALLS = text(f"""
SELECT t.sid, {_HOUR} AS h, t.name, {_DUR} AS d, {_S},
       count(*), sum(CASE WHEN t.status = 'error' THEN 1 ELSE 0 END)
FROM tool_calls t JOIN sessions s ON s.sid = t.sid
WHERE t.sid IN :sids AND t.call_entry_id IS NOT NULL
GROUP BY t.sid, {_HOUR}, t.name, {_DUR}, {_S}""")
_BLOCK_KEYS = ("level", "start_day", "tool", "bucket")
_MEASURES = ("calls", "errors", "dur_sum")
_UPSERT = (
    f"INSERT INTO rollup_tool_blocks ({', '.join(_BLOCK_KEYS + _MEASURES)}) VALUES ({{marks}}) "
    f"ON CONFLICT ({', '.join(_BLOCK_KEYS)}) DO UPDATE SET "
    + ", ".join(f"{m} = rollup_tool_blocks.{m} + excluded.{m}" for m in _MEASURES)
)
_PRUNE = (
    "DELETE FROM rollup_tool_blocks WHERE level = {m} AND start_day = {m} AND tool = {m} AND bucket = {m} "
    "AND calls = 0"
)
_SID_INSERT = f"INSERT INTO rollup_tool_sid ({', '.join(_COLS)}) VALUES ({{marks}})"
Sums = dict[tuple[int, str, int], list[int]]  # (hour_ms, tool, bucket) -> calls, errors, dur_sum


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild the tool roll-ups of these sessions from their rows (in the caller's write transaction,
    after the rows changed and under the roll-up lock; a deleted session's rows are simply gone)."""
    ordered = sorted(set(sids))
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        old = _sums(execute_in(conn, _OLD, "sids", chunk))
        execute_in(conn, _DELETE, "sids", chunk)
        rows = _session_rows(execute_in(conn, _CALLS, "sids", chunk))
        _insert_sid_rows(conn, rows)
        new: Sums = {}
        for r in rows:
            sums = new.setdefault((r[1], r[2], r[3]), [0, 0, 0])
            sums[0] += r[8]
            sums[1] += r[9]
            sums[2] += r[10]
        _apply(conn, old, new)


def _cursor(conn: Connection) -> tuple[Any, str]:
    """The driver's own cursor (bulk statements skip SQLAlchemy's per-row work, as the writer's do)
    and its parameter marker."""
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    return cur, placeholder(conn.engine)


def _insert_sid_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        cur, mark = _cursor(conn)
        cur.executemany(_SID_INSERT.format(marks=", ".join([mark] * len(_COLS))), rows)


def _apply(conn: Connection, old: Sums, new: Sums) -> None:
    """Add new - old to every block holding each hour (summed per day first)."""
    days: dict[tuple[int, str, int], list[int]] = {}
    for key in old.keys() | new.keys():
        after, before = new.get(key, [0, 0, 0]), old.get(key, [0, 0, 0])
        if after == before:
            continue
        hour, tool, b = key
        sums = days.setdefault((-1 if hour < 0 else hour // DAY_MS, tool, b), [0, 0, 0])
        for j in range(3):
            sums[j] += after[j] - before[j]
    delta: dict[tuple[int, int, str, int], list[int]] = {}
    for (day, tool, b), diff in days.items():
        if not any(diff):
            continue
        for level, start in _blocks_of_day(day):
            sums = delta.setdefault((level, start, tool, b), [0, 0, 0])
            for j in range(3):
                sums[j] += diff[j]
    changed = [(k, v) for k, v in delta.items() if any(v)]  # (in any order: under the roll-up lock)
    if changed:
        cur, mark = _cursor(conn)
        cur.executemany(_UPSERT.format(marks=", ".join([mark] * 7)), [(*k, *v) for k, v in changed])
        shrunk = [k for k, v in changed if v[0] < 0]
        if shrunk:
            cur.executemany(_PRUNE.format(m=mark), shrunk)


def blocks_of(hour_ms: int) -> list[tuple[int, int]]:
    """The (level, start_day) of every block holding this hour: level L spans 4**L days."""
    return _blocks_of_day(-1 if hour_ms < 0 else hour_ms // DAY_MS)


def _blocks_of_day(day: int) -> list[tuple[int, int]]:
    if day < 0:
        return [UNDATED]
    return [*((level, day >> (2 * level) << (2 * level)) for level in range(LEVELS)), ALL_DAYS]


def _session_rows(found: Iterable[Any]) -> list[tuple[Any, ...]]:
    """`rollup_tool_sid` rows (`_COLS` order) from the calls grouped by duration value."""
    out: dict[tuple[Any, ...], list[Any]] = {}
    for sid, hour, tool, dur, instance, agent, kind, channel, n, errors in found:
        known = dur is not None and dur >= 0
        b = bucket_of(int(dur)) if known else -1
        row = out.setdefault(
            (sid, hour, tool, b), [sid, int(hour), tool, b, instance, agent, kind, channel, 0, 0, 0]
        )
        row[8] += int(n)
        row[9] += int(errors)
        row[10] += int(dur) * int(n) if known else 0
    return [tuple(r) for r in out.values()]


def rebuild(conn: Connection) -> None:
    """Both tables from the tool calls, from scratch (the migration that adds them, repair)."""
    conn.execute(text("DELETE FROM rollup_tool_sid"))
    conn.execute(text("DELETE FROM rollup_tool_blocks"))
    sids = [int(r[0]) for r in conn.execute(text("SELECT DISTINCT sid FROM tool_calls"))]
    for i in range(0, len(sids), _CHUNK):
        _insert_sid_rows(conn, _session_rows(execute_in(conn, _CALLS, "sids", sids[i : i + _CHUNK])))
    rebuild_blocks(conn)


def rebuild_blocks(conn: Connection) -> None:
    """`rollup_tool_blocks` from the per-session rows, from scratch."""
    conn.execute(text("DELETE FROM rollup_tool_blocks"))
    sql = (
        "SELECT hour_ms, tool, bucket, sum(calls), sum(errors), sum(dur_sum) FROM rollup_tool_sid "
        "GROUP BY hour_ms, tool, bucket"
    )
    _apply(conn, {}, _sums(conn.execute(text(sql))))


def _sums(found: Iterable[Any]) -> Sums:
    """(hour_ms, tool, bucket) -> [calls, errors, dur_sum] as Python ints (PostgreSQL sums are NUMERIC)."""
    return {(int(r[0]), str(r[1]), int(r[2])): [int(r[3]), int(r[4]), int(r[5])] for r in found}


# -- reading ---------------------------------------------------------------------------------------------


def covers(f: Filters) -> bool:
    """Whether these filters are answered exactly (periods of whole UTC hours)."""
    return all(t is None or t % HOUR_MS == 0 for t in (f.since_ms, f.until_ms))


def _branch(table: str, time: str, f: Filters, p: dict[str, Any], n: int) -> str:
    clause = branch_where(f, f"r.{time}", p, n, dated=f"r.{time} >= 0")
    return f"SELECT r.tool, r.bucket, r.calls, r.errors FROM {table} r WHERE {clause}"


def decompose(first: int, end: int) -> list[tuple[int, int]]:
    """The fewest aligned blocks (level, start_day) that tile the days [first, end)."""
    out = []
    while first < end:
        level = LEVELS - 1
        while level and (first % (1 << 2 * level) or first + (1 << 2 * level) > end):
            level -= 1
        out.append((level, first))
        first += 1 << 2 * level
    return out


def _blocks(conn: Connection, d0: int | None, d1: int | None) -> str | None:
    """The rows of the blocks tiling the whole days [d0, d1) (ms; None: unbounded; both None: every
    day's block, and the rows without a timestamp)."""
    if d0 is None and d1 is None:
        return _tiles([ALL_DAYS, UNDATED])
    first = None if d0 is None else d0 // DAY_MS
    end = None if d1 is None else d1 // DAY_MS
    if first is None or end is None:
        lo, hi = conn.execute(
            text("SELECT min(start_day), max(start_day) FROM rollup_tool_blocks WHERE level = 0")
        ).one()
        if lo is None:
            lo = hi = 0
        first = int(lo) if first is None else first
        end = int(hi) + 1 if end is None else end
    return _tiles(decompose(first, end))


def _tiles(tiles: list[tuple[int, int]]) -> str | None:
    if not tiles:
        return None
    # few tiles: inlined as integer literals (each one an index range of the primary key)
    ors = " OR ".join(f"(r.level = {int(lv)} AND r.start_day = {int(sd)})" for lv, sd in tiles)
    return f"SELECT r.tool, r.bucket, r.calls, r.errors FROM rollup_tool_blocks r WHERE {ors}"


def _source(conn: Connection, f: Filters, p: dict[str, Any]) -> str:
    """The roll-up rows of the period: whole UTC days as blocks unless an attribute is filtered, the
    rest from `rollup_tool_sid`."""
    if any(v is not None for v in (f.agent, f.kind, f.channel, f.instance)):
        return _branch("rollup_tool_sid", "hour_ms", f, p, 0)
    whole, edges = day_parts(f)
    if whole is None:
        return _branch("rollup_tool_sid", "hour_ms", f, p, 0)
    parts = [b for b in (_blocks(conn, whole.since_ms, whole.until_ms),) if b]
    parts += [_branch("rollup_tool_sid", "hour_ms", e, p, n) for n, e in enumerate(edges, start=1)]
    if not parts:
        return "SELECT r.tool, r.bucket, r.calls, r.errors FROM rollup_tool_blocks r WHERE 1=0"
    return " UNION ALL ".join(parts)


def per_tool(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Per tool: `key`, `toolCalls`, `toolErrors`, `p50DurationMs`, `p95DurationMs` (from the
    histogram), most called first; the same tools and counts as `ToolCalls.per_tool` over the rows."""
    p: dict[str, Any] = {}
    sql = (
        f"SELECT x.tool, x.bucket, sum(x.calls), sum(x.errors) FROM ({_source(conn, f, p)}) x "
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
