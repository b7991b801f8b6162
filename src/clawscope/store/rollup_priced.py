"""The calls OpenClaw priced, per provider, model and UTC day, from roll-ups (revision 0026): what
`/stats/reconciliation` re-prices against the price table.

Grouping every priced call by provider, model and day took over a second at a million calls.
`refresh(conn, sids)` rebuilds `rollup_priced_sid` (session × UTC hour × provider × model: calls and
the sums of tokens and reported cost, with the session's attributes) for these sessions from their
calls, and moves `rollup_priced_daily` (day × provider × model × attributes) by exactly the difference
between their old and new rows (as the metrics roll-ups do), so the daily rows always equal the sum of
the per-session ones (a test rebuilds them from scratch and compares). A period of whole hours reads
its whole days from the daily rows and its partial days from the per-session ones; every sum is exact,
so the re-priced cost is the one the calls themselves give (`by_model_day`, a test compares).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.engine import execute_in
from clawscope.store.sql_filters import DAY_MS, branch_where, day_parts

_CHUNK = 500
_ATTRS = "instance, agent, kind, channel"
_MEASURES = "calls, tokens_in, tokens_out, cache_read, cache_write, cost"
_HOUR = "(l.ts_ms / 3600000) * 3600000"
_S = "s.instance, COALESCE(s.agent_id, ''), s.kind, COALESCE(s.channel, '')"
_KEYS = "COALESCE(l.provider, ''), COALESCE(l.model, '')"

_DAY = f"(hour_ms / {DAY_MS}) * {DAY_MS}"
_KEYS_DAILY = ("day_ms", "provider", "model", "instance", "agent", "kind", "channel")
_COLS = tuple(_MEASURES.split(", "))
_DELETE = text("DELETE FROM rollup_priced_sid WHERE sid IN :sids")
_BUILD = text(f"""
INSERT INTO rollup_priced_sid (sid, hour_ms, provider, model, {_ATTRS}, {_MEASURES})
SELECT l.sid, {_HOUR}, {_KEYS}, {_S}, count(*), sum(l.input), sum(l.output), sum(l.cache_read),
       sum(l.cache_write), sum(l.cost_total)
FROM llm_calls l JOIN sessions s ON s.sid = l.sid
WHERE l.sid IN :sids AND l.cost_total > 0 AND l.ts_ms IS NOT NULL
GROUP BY l.sid, {_HOUR}, {_KEYS}, {_S}""")
_SUMS = ", ".join(f"sum({m})" for m in _COLS)
_PER_DAY = f"SELECT {_DAY}, provider, model, {_ATTRS}, {_SUMS} FROM rollup_priced_sid"
_GROUP = f"GROUP BY {_DAY}, provider, model, {_ATTRS}"
_GROUPED = text(f"{_PER_DAY} WHERE sid IN :sids {_GROUP}")
_ALL_GROUPED = text(f"{_PER_DAY} {_GROUP}")
_UPSERT = text(
    f"INSERT INTO rollup_priced_daily ({', '.join(_KEYS_DAILY + _COLS)}) "
    f"VALUES ({', '.join(':' + c for c in _KEYS_DAILY + _COLS)}) "
    f"ON CONFLICT ({', '.join(_KEYS_DAILY)}) DO UPDATE SET "
    + ", ".join(f"{c} = rollup_priced_daily.{c} + excluded.{c}" for c in _COLS)
)
_PRUNE = text("DELETE FROM rollup_priced_daily WHERE calls <= 0")


def _sums(rows: Iterable[Any]) -> dict[tuple[Any, ...], list[int]]:
    """Day and keys -> sums as Python integers (PostgreSQL sums BIGINT as NUMERIC)."""
    n = len(_KEYS_DAILY)
    return {tuple(r[:n]): [int(v or 0) for v in r[n:]] for r in rows}


def _apply(
    conn: Connection, old: dict[tuple[Any, ...], list[int]], new: dict[tuple[Any, ...], list[int]]
) -> None:
    """Move the daily rows by the difference between these sessions' old and new per-session rows."""
    rows = []
    for key in old.keys() | new.keys():
        before, after = old.get(key, [0] * len(_COLS)), new.get(key, [0] * len(_COLS))
        delta = [a - b for a, b in zip(after, before, strict=True)]
        if any(delta):
            rows.append({**dict(zip(_KEYS_DAILY, key, strict=True)), **dict(zip(_COLS, delta, strict=True))})
    if rows:
        conn.execute(_UPSERT, rows)
        conn.execute(_PRUNE)


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild these sessions' rows and move the daily rows by the difference (in the caller's write
    transaction). By difference, not by rebuilding the days touched: a day's rebuild reads every
    session of that day, so a cold ingest of a long history, whose units each touch most days, grew
    with the square of its size."""
    ordered = sorted(set(sids))
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        old = _sums(execute_in(conn, _GROUPED, "sids", chunk))
        execute_in(conn, _DELETE, "sids", chunk)
        execute_in(conn, _BUILD, "sids", chunk)
        _apply(conn, old, _sums(execute_in(conn, _GROUPED, "sids", chunk)))


def rebuild(conn: Connection) -> None:
    """Both tables from the model calls, from scratch (the migration that adds them, repair)."""
    conn.execute(text("DELETE FROM rollup_priced_sid"))
    conn.execute(text("DELETE FROM rollup_priced_daily"))
    sids = [int(r[0]) for r in conn.execute(text("SELECT DISTINCT sid FROM llm_calls WHERE cost_total > 0"))]
    for i in range(0, len(sids), _CHUNK):
        execute_in(conn, _BUILD, "sids", sids[i : i + _CHUNK])
    _apply(conn, {}, _sums(conn.execute(_ALL_GROUPED)))


def _branch(table: str, time: str, f: Filters, p: dict[str, Any], n: int) -> str:
    clause = branch_where(f, f"r.{time}", p, n)
    return (
        f"SELECT r.{time} / {DAY_MS} AS day, r.provider, r.model, {_MEASURES} FROM {table} r WHERE {clause}"
    )


def by_model_day(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """`PricedCalls.by_model_day` for a period of whole UTC hours: the same rows, from the roll-ups
    (`provider`/`model` None where the calls named none)."""
    whole, edges = day_parts(f)
    p: dict[str, Any] = {}
    parts = [] if whole is None else [_branch("rollup_priced_daily", "day_ms", whole, p, 0)]
    parts += [_branch("rollup_priced_sid", "hour_ms", e, p, n) for n, e in enumerate(edges, start=1)]
    sql = (
        "SELECT x.provider, x.model, x.day, sum(x.calls) AS n, sum(x.tokens_in) AS i, "
        "sum(x.tokens_out) AS o, sum(x.cache_read) AS r, sum(x.cache_write) AS w, sum(x.cost) AS cost "
        f"FROM ({' UNION ALL '.join(parts)}) x GROUP BY x.provider, x.model, x.day ORDER BY 1, 2, 3"
    )
    out = []
    for row in conn.execute(text(sql), p):
        d = dict(row._mapping)
        d["provider"], d["model"] = d["provider"] or None, d["model"] or None
        out.append(d)
    return out
