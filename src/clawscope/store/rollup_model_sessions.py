"""Distinct sessions per model and per provider of a period (revision 0025), without a distinct count
over every session's hourly roll-up rows.

`/stats/models` and `/stats/providers` counted `DISTINCT sid` over `rollup_calls` (seconds at a million
model calls). Most sessions call a model on one UTC day only, and such a session counts in a period
exactly when that day does: those counts add up per day (`rollup_model_day_sessions`, per day × key ×
session attributes). Only the sessions that called the key on several days, and the partial days at
either end of a period, still need a distinct count, over far fewer rows:

    sessions(key, P) = Σ single-day sessions of P's whole days
                     + |{multi-day rows of P's whole days} ∪ {hourly rows of P's partial days}|

`refresh(conn, sids)` rebuilds `rollup_model_sid_days` for these sessions from their `rollup_calls`
rows (so it runs after those), then the per-day counts of every day the sessions had or have:
recomputed, never incremented.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.engine import execute_in
from clawscope.store.sql_filters import branch_where, day_parts

DAY_MS = 86_400_000
_CHUNK = 500
_ATTRS = "instance, agent, kind, channel"
_DAY = f"CASE WHEN hour_ms < 0 THEN -1 ELSE (hour_ms / {DAY_MS}) * {DAY_MS} END"
_KEYS = {"model": "provider, model", "provider": "provider, '' AS model"}

_OLD_DAYS = text("SELECT DISTINCT day_ms FROM rollup_model_sid_days WHERE sid IN :sids")
_DELETE = text("DELETE FROM rollup_model_sid_days WHERE sid IN :sids")
_BUILD = [
    text(f"""
INSERT INTO rollup_model_sid_days (sid, dim, day_ms, provider, model, {_ATTRS}, single)
SELECT sid, '{dim}', day_ms, provider, model, {_ATTRS},
       CASE WHEN count(*) OVER (PARTITION BY sid, provider, model) = 1 THEN 1 ELSE 0 END
FROM (SELECT DISTINCT sid, {_DAY} AS day_ms, {keys}, {_ATTRS}
      FROM rollup_calls WHERE sid IN :sids AND llm_calls > 0) AS d""")
    for dim, keys in _KEYS.items()
]
_PER_DAY = (
    text("DELETE FROM rollup_model_day_sessions WHERE day_ms >= :lo AND day_ms < :hi"),
    text(f"""
INSERT INTO rollup_model_day_sessions (day_ms, dim, provider, model, {_ATTRS}, sessions)
SELECT day_ms, dim, provider, model, {_ATTRS}, count(*)
FROM rollup_model_sid_days WHERE single = 1 AND day_ms >= :lo AND day_ms < :hi
GROUP BY day_ms, dim, provider, model, {_ATTRS}"""),
)


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild these sessions' rows and the per-day counts of their days (in the caller's write
    transaction, after `rollup_calls`)."""
    ordered = sorted(set(sids))
    days: set[int] = set()
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        days |= {int(r[0]) for r in execute_in(conn, _OLD_DAYS, "sids", chunk)}
        execute_in(conn, _DELETE, "sids", chunk)
        for stmt in _BUILD:
            execute_in(conn, stmt, "sids", chunk)
        days |= {int(r[0]) for r in execute_in(conn, _OLD_DAYS, "sids", chunk)}
    for lo, hi in _runs(sorted(days)):
        for stmt in _PER_DAY:
            conn.execute(stmt, {"lo": lo, "hi": hi})


def _runs(days: list[int]) -> list[tuple[int, int]]:
    """[lo, hi) ranges covering these days, adjacent days merged (-1: every negative day)."""
    out: list[tuple[int, int]] = []
    for d in days:
        lo, hi = (-(2**62), 0) if d < 0 else (d, d + DAY_MS)
        if out and out[-1][1] == lo and d >= 0:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def rebuild(conn: Connection) -> None:
    """Both tables from `rollup_calls`, from scratch (the migration that adds them, repair)."""
    conn.execute(text("DELETE FROM rollup_model_sid_days"))
    sids = [int(r[0]) for r in conn.execute(text("SELECT DISTINCT sid FROM rollup_calls"))]
    for i in range(0, len(sids), _CHUNK):
        for stmt in _BUILD:
            execute_in(conn, stmt, "sids", sids[i : i + _CHUNK])
    conn.execute(_PER_DAY[0], {"lo": -(2**62), "hi": 2**62})
    conn.execute(_PER_DAY[1], {"lo": -(2**62), "hi": 2**62})


# -- reading ---------------------------------------------------------------------------------------------


def _clause(f: Filters, time: str, p: dict[str, Any], n: int) -> str:
    return branch_where(f, f"r.{time}", p, n, dated=f"r.{time} >= 0")


def sessions(conn: Connection, f: Filters, dim: str) -> dict[tuple[str, str], int]:
    """Distinct sessions per raw (provider, model) (`dim` 'model') or (provider, '') ('provider') that
    made a model call in the period `f` (whole UTC hours), as `rollup_calls` would count them."""
    whole, edges = day_parts(f)
    keys = {"model": "r.provider, r.model", "provider": "r.provider, '' AS model"}[dim]
    p: dict[str, Any] = {"dim": dim}
    counts: dict[tuple[str, str], int] = {}
    distinct: list[str] = []
    if whole is not None:
        single = (
            "SELECT r.provider, r.model, sum(r.sessions) FROM rollup_model_day_sessions r "
            f"WHERE r.dim = :dim AND {_clause(whole, 'day_ms', p, 0)} GROUP BY r.provider, r.model"
        )
        for provider, model, n in conn.execute(text(single), p):
            counts[(provider, model)] = int(n)
        distinct.append(
            "SELECT r.sid, r.provider, r.model FROM rollup_model_sid_days r "
            f"WHERE r.dim = :dim AND r.single = 0 AND {_clause(whole, 'day_ms', p, 1)}"
        )
    for n, part in enumerate(edges, start=2):  # (no whole day: the period itself, hour by hour)
        distinct.append(
            f"SELECT r.sid, {keys} FROM rollup_calls r "
            f"WHERE r.llm_calls > 0 AND {_clause(part, 'hour_ms', p, n)}"
        )
    if distinct:
        sql = (
            f"SELECT x.provider, x.model, count(DISTINCT x.sid) FROM ({' UNION ALL '.join(distinct)}) x "
            "GROUP BY x.provider, x.model"
        )
        for provider, model, n in conn.execute(text(sql), p):
            counts[(provider, model)] = counts.get((provider, model), 0) + int(n)
    return {k: v for k, v in counts.items() if v}
