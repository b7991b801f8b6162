"""The calls OpenClaw priced, per provider, model and UTC day, from roll-ups (revision 0026): what
`/stats/reconciliation` re-prices against the price table.

Grouping every priced call by provider, model and day took over a second at a million calls.
`refresh(conn, sids)` rebuilds `rollup_priced_sid` (session × UTC hour × provider × model: calls and
the sums of tokens and reported cost, with the session's attributes) for these sessions, then
`rollup_priced_daily` (day × provider × model × attributes) for every day those rows had or have:
recomputed from the rows, never incremented. A period of whole hours reads its whole days from the
daily rows and its partial days from the per-session ones; every sum is exact, so the re-priced cost
is the one the calls themselves give (`by_model_day`, a test compares).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.engine import execute_in
from clawscope.store.sql_filters import ROLLUP_ATTRS, where

DAY_MS = 86_400_000
_CHUNK = 500
_ATTRS = "instance, agent, kind, channel"
_MEASURES = "calls, tokens_in, tokens_out, cache_read, cache_write, cost"
_HOUR = "(l.ts_ms / 3600000) * 3600000"
_S = "s.instance, COALESCE(s.agent_id, ''), s.kind, COALESCE(s.channel, '')"
_KEYS = "COALESCE(l.provider, ''), COALESCE(l.model, '')"

_HOURS = text("SELECT DISTINCT hour_ms FROM rollup_priced_sid WHERE sid IN :sids")
_DELETE = text("DELETE FROM rollup_priced_sid WHERE sid IN :sids")
_BUILD = text(f"""
INSERT INTO rollup_priced_sid (sid, hour_ms, provider, model, {_ATTRS}, {_MEASURES})
SELECT l.sid, {_HOUR}, {_KEYS}, {_S}, count(*), sum(l.input), sum(l.output), sum(l.cache_read),
       sum(l.cache_write), sum(l.cost_total)
FROM llm_calls l JOIN sessions s ON s.sid = l.sid
WHERE l.sid IN :sids AND l.cost_total > 0 AND l.ts_ms IS NOT NULL
GROUP BY l.sid, {_HOUR}, {_KEYS}, {_S}""")
_SUMS = ", ".join(f"sum({m})" for m in _MEASURES.split(", "))
_PER_DAY = (
    text("DELETE FROM rollup_priced_daily WHERE day_ms >= :lo AND day_ms < :hi"),
    text(f"""
INSERT INTO rollup_priced_daily (day_ms, provider, model, {_ATTRS}, {_MEASURES})
SELECT (hour_ms / {DAY_MS}) * {DAY_MS}, provider, model, {_ATTRS}, {_SUMS}
FROM rollup_priced_sid WHERE hour_ms >= :lo AND hour_ms < :hi
GROUP BY (hour_ms / {DAY_MS}) * {DAY_MS}, provider, model, {_ATTRS}"""),
)


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild these sessions' rows and the days they had or have (in the caller's write transaction)."""
    ordered = sorted(set(sids))
    hours: set[int] = set()
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        hours |= {int(r[0]) for r in execute_in(conn, _HOURS, "sids", chunk)}
        execute_in(conn, _DELETE, "sids", chunk)
        execute_in(conn, _BUILD, "sids", chunk)
        hours |= {int(r[0]) for r in execute_in(conn, _HOURS, "sids", chunk)}
    for d in sorted({h // DAY_MS * DAY_MS for h in hours}):
        for stmt in _PER_DAY:
            conn.execute(stmt, {"lo": d, "hi": d + DAY_MS})


def rebuild(conn: Connection) -> None:
    """Both tables from the model calls, from scratch (the migration that adds them, repair)."""
    conn.execute(text("DELETE FROM rollup_priced_sid"))
    sids = [int(r[0]) for r in conn.execute(text("SELECT DISTINCT sid FROM llm_calls WHERE cost_total > 0"))]
    for i in range(0, len(sids), _CHUNK):
        execute_in(conn, _BUILD, "sids", sids[i : i + _CHUNK])
    for stmt in _PER_DAY:
        conn.execute(stmt, {"lo": -(2**62), "hi": 2**62})


def _branch(table: str, time: str, f: Filters, p: dict[str, Any], n: int) -> str:
    own: dict[str, Any] = {}
    clause = where(f, f"r.{time}", own, ROLLUP_ATTRS)
    for k, v in own.items():
        clause = clause.replace(f":{k}", f":{k}_{n}")
        p[f"{k}_{n}"] = v
    return (
        f"SELECT r.{time} / {DAY_MS} AS day, r.provider, r.model, {_MEASURES} FROM {table} r WHERE {clause}"
    )


def by_model_day(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """`PricedCalls.by_model_day` for a period of whole UTC hours: the same rows, from the roll-ups
    (`provider`/`model` None where the calls named none)."""
    attrs = {"agent": f.agent, "kind": f.kind, "channel": f.channel, "instance": f.instance}
    since, until = f.since_ms, f.until_ms
    d0 = None if since is None else -(-since // DAY_MS) * DAY_MS  # the first midnight at or after since
    d1 = None if until is None else until // DAY_MS * DAY_MS  # the last midnight at or before until
    p: dict[str, Any] = {}
    if d0 is not None and d1 is not None and d0 >= d1:
        parts = [_branch("rollup_priced_sid", "hour_ms", f, p, 0)]
    else:
        parts = [_branch("rollup_priced_daily", "day_ms", Filters(since_ms=d0, until_ms=d1, **attrs), p, 0)]
        if since is not None and d0 is not None and since < d0:
            parts.append(_branch("rollup_priced_sid", "hour_ms", Filters(since, d0, **attrs), p, 1))
        if until is not None and d1 is not None and d1 < until:
            parts.append(_branch("rollup_priced_sid", "hour_ms", Filters(d1, until, **attrs), p, 2))
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
