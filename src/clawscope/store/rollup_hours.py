"""The analytics roll-up tables (revision 0005), rebuilt from the rows, never incremented.

Two levels. Per session × UTC hour (`rollup_calls`, `rollup_entries`): rebuilt for every session a
write touches, they carry the session's attributes (agent, kind, channel, instance) and the resolved
trigger, so distinct-session counts need no join. Per hour × attributes × model (`rollup_hourly`, no
session): rebuilt for every hour whose per-session rows changed, it answers the additive metrics of
any period of whole hours from a few thousand rows even over millions of model calls. Per UTC day ×
attributes × model (`rollup_daily`, revision 0018): the hourly rows summed by day, rebuilt for every day
whose hours changed; it answers the whole days of a period (rollup_totals.py). Per hour × session
attributes (`rollup_hour_totals`, revision 0025) and per hour alone (`rollup_hour_all`, revision 0028):
the hourly rows without model and trigger, with each hour's distinct sessions and messages, rebuilt with
the hourly rows; they answer the per-hour listing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, text

from clawscope.store import metric_rollups, rollup_groups
from clawscope.store.engine import execute_in

_ROLLUP_LOCK = 0x636C6172  # "clar": PostgreSQL advisory lock of the roll-up rebuild
_HOUR = "CASE WHEN {ts} IS NULL THEN -1 ELSE ({ts} / 3600000) * 3600000 END"
_LATENCY = "CASE WHEN l.started_ms IS NOT NULL AND l.ts_ms >= l.started_ms THEN l.ts_ms - l.started_ms END"
_METRICS = (
    "llm_calls, errors, tokens_in, tokens_out, cache_read, cache_write, total_tokens, cost, est_cost, "
    "tool_calls, tool_errors, latency_sum, latency_n"
)
_SUMS = ", ".join(f"sum({m})" for m in _METRICS.split(", "))
_ATTRS = "instance, agent, kind, trigger, channel"
_HOUR_ATTRS = "instance, agent, kind, channel"
# the session attributes of a row, '' for none (primary-key columns cannot be NULL)
_S_ATTRS = "s.instance, COALESCE(s.agent_id, ''), s.kind, COALESCE(x.tt, s.trigger), COALESCE(s.channel, '')"

# the hours of the sessions' calls and entries (an hour may hold entries only: `rollup_hour_totals`
# counts its sessions and messages)
_HOURS_OF = text(
    "SELECT hour_ms FROM rollup_calls WHERE sid IN :sids "
    "UNION SELECT hour_ms FROM rollup_entries WHERE sid IN :sids"
).bindparams(bindparam("sids", expanding=True))
_PER_SESSION = [
    text("DELETE FROM rollup_calls WHERE sid IN :sids"),
    text("DELETE FROM rollup_entries WHERE sid IN :sids"),
    text(f"""
INSERT INTO rollup_calls (sid, hour_ms, provider, model, {_ATTRS}, {_METRICS})
SELECT x.sid, x.h, x.pv, x.md, {_S_ATTRS},
       sum(n), sum(e), sum(i), sum(o), sum(r), sum(w), sum(t), sum(c), sum(xc), sum(tc), sum(te),
       COALESCE(sum(ls), 0), count(ls)
FROM (SELECT l.sid, {_HOUR.format(ts="l.ts_ms")} AS h, l.turn_trigger AS tt,
             COALESCE(l.provider, '') AS pv, COALESCE(l.model, 'unknown') AS md, 1 AS n,
             CASE WHEN l.is_error THEN 1 ELSE 0 END AS e, l.input AS i, l.output AS o, l.cache_read AS r,
             l.cache_write AS w, l.total_tokens AS t, COALESCE(l.cost_total, 0) AS c,
             COALESCE(l.est_cost, 0) AS xc, 0 AS tc, 0 AS te, {_LATENCY} AS ls
      FROM llm_calls l WHERE l.sid IN :sids
      UNION ALL
      SELECT t.sid, {_HOUR.format(ts="t.ts_ms")}, l.turn_trigger, COALESCE(l.provider, ''),
             COALESCE(l.model, 'unknown'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
             CASE WHEN t.status = 'error' THEN 1 ELSE 0 END, NULL
      FROM tool_calls t LEFT JOIN llm_calls l ON l.sid = t.sid AND l.entry_id = t.call_entry_id
      WHERE t.sid IN :sids AND t.call_entry_id IS NOT NULL) AS x
JOIN sessions s ON s.sid = x.sid
GROUP BY x.sid, x.h, x.pv, x.md, {_S_ATTRS}"""),
    text(f"""
INSERT INTO rollup_entries (sid, hour_ms, {_ATTRS}, entries, messages)
SELECT x.sid, x.h, {_S_ATTRS}, count(*), sum(m)
FROM (SELECT sid, {_HOUR.format(ts="ts_ms")} AS h, turn_trigger AS tt,
             CASE WHEN type = 'message' THEN 1 ELSE 0 END AS m
      FROM entries WHERE sid IN :sids) AS x
JOIN sessions s ON s.sid = x.sid
GROUP BY x.sid, x.h, {_S_ATTRS}"""),
]
_PER_SESSION = [stmt.bindparams(bindparam("sids", expanding=True)) for stmt in _PER_SESSION]
# The hour totals: the model-call measures from `rollup_hourly`, the distinct sessions and messages from
# `rollup_entries` (revision 0028), merged per hour × attributes.
_ZEROS = ", ".join("0" for _ in _METRICS.split(", "))
_HOUR_TOTALS = f"""
INSERT INTO rollup_hour_totals (hour_ms, {_HOUR_ATTRS}, {_METRICS}, sessions, messages)
SELECT hour_ms, {_HOUR_ATTRS}, {_SUMS}, sum(sessions), sum(messages)
FROM (SELECT hour_ms, {_HOUR_ATTRS}, {_METRICS}, 0 AS sessions, 0 AS messages
      FROM rollup_hourly WHERE {{hours}}
      UNION ALL
      SELECT hour_ms, {_HOUR_ATTRS}, {_ZEROS}, count(DISTINCT sid), sum(messages)
      FROM rollup_entries WHERE {{hours}}
      GROUP BY hour_ms, {_HOUR_ATTRS}) AS u
GROUP BY hour_ms, {_HOUR_ATTRS}"""
_HOUR_ALL = f"""
INSERT INTO rollup_hour_all (hour_ms, {_METRICS}, sessions, messages)
SELECT hour_ms, {_SUMS}, sum(sessions), sum(messages) FROM rollup_hour_totals WHERE {{hours}}
GROUP BY hour_ms"""
_PER_HOUR = [
    text("DELETE FROM rollup_hourly WHERE hour_ms IN :hours"),
    text(f"""
INSERT INTO rollup_hourly (hour_ms, provider, model, {_ATTRS}, {_METRICS})
SELECT hour_ms, provider, model, {_ATTRS}, {_SUMS}
FROM rollup_calls WHERE hour_ms IN :hours
GROUP BY hour_ms, provider, model, {_ATTRS}"""),
    # per hour × session attributes, no model or trigger (revision 0025): what `/stats/hours` sums
    text("DELETE FROM rollup_hour_totals WHERE hour_ms IN :hours"),
    text(_HOUR_TOTALS.format(hours="hour_ms IN :hours")),
    text("DELETE FROM rollup_hour_all WHERE hour_ms IN :hours"),
    text(_HOUR_ALL.format(hours="hour_ms IN :hours")),
]
_PER_HOUR = [stmt.bindparams(bindparam("hours", expanding=True)) for stmt in _PER_HOUR]
DAY_MS = 86_400_000
_DAY = f"CASE WHEN hour_ms < 0 THEN -1 ELSE (hour_ms / {DAY_MS}) * {DAY_MS} END"
_DAILY = f"""
INSERT INTO rollup_daily (day_ms, provider, model, {_ATTRS}, {_METRICS})
SELECT {_DAY}, provider, model, {_ATTRS}, {_SUMS}
FROM rollup_hourly WHERE hour_ms >= :lo AND hour_ms < :hi
GROUP BY {_DAY}, provider, model, {_ATTRS}"""
_PER_DAY = [
    text("DELETE FROM rollup_daily WHERE day_ms >= :lo AND day_ms < :hi"),
    text(_DAILY),
]


def day_of(hour_ms: int) -> int:
    return -1 if hour_ms < 0 else hour_ms // DAY_MS * DAY_MS


def hours_of(conn: Connection, sids: list[int]) -> set[int]:
    return {int(r[0]) for r in execute_in(conn, _HOURS_OF, "sids", sids)} if sids else set()


def refresh_analytics(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild the per-session rows of these sessions, then every hour they had or have."""
    ordered = sorted(sids)
    _serialise(conn)
    hours: set[int] = set()
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        hours |= hours_of(conn, chunk)
        for stmt in _PER_SESSION:
            execute_in(conn, stmt, "sids", chunk)
        hours |= hours_of(conn, chunk)
    refresh_hours(conn, hours)
    rollup_groups.refresh(conn, ordered)  # tools, distinct sessions per model (revision 0025)
    metric_rollups.refresh(conn, ordered)  # the metrics' label-set totals (revision 0011)


def _serialise(conn: Connection) -> None:
    """Two processes rebuilding the same session or hour would both delete, then both insert the same
    keys; on PostgreSQL one lock per transaction serialises the (short) rebuilds across processes
    (re-entrant within a transaction). SQLite writers are serialised by its write lock already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ROLLUP_LOCK})


def refresh_hours(conn: Connection, hours: Iterable[int]) -> None:
    """Rebuild these hours of `rollup_hourly` from the per-session rows."""
    _serialise(conn)
    ordered = sorted(hours)
    for i in range(0, len(ordered), 500):
        for stmt in _PER_HOUR:
            execute_in(conn, stmt, "hours", ordered[i : i + 500])
    refresh_days(conn, {day_of(h) for h in ordered})


def refresh_days(conn: Connection, days: Iterable[int]) -> None:
    """Rebuild these days of `rollup_daily` from the hourly rows (one range per run of adjacent days:
    the hourly primary key starts with the hour, so each is an index range)."""
    for lo, hi in _runs(sorted(days)):
        for stmt in _PER_DAY:
            conn.execute(stmt, {"lo": lo, "hi": hi})


def _runs(days: list[int]) -> list[tuple[int, int]]:
    """[lo, hi) ranges covering these days (-1, the undated rows, is every negative hour, as `_DAY`
    maps them)."""
    out: list[tuple[int, int]] = []
    for d in days:
        lo, hi = (-(2**62), 0) if d < 0 else (d, d + DAY_MS)
        if out and out[-1][1] == lo and d >= 0:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def refresh_all_hour_totals(conn: Connection) -> None:
    """Rebuild all of `rollup_hour_totals` (the migration that adds it)."""
    conn.execute(text("DELETE FROM rollup_hour_totals"))
    conn.execute(text(_HOUR_TOTALS.format(hours="1=1")))


def refresh_all_hour_sums(conn: Connection) -> None:
    """Rebuild all of `rollup_hour_totals` and `rollup_hour_all` (the migration that adds the latter and
    the former's session counts)."""
    refresh_all_hour_totals(conn)
    conn.execute(text("DELETE FROM rollup_hour_all"))
    conn.execute(text(_HOUR_ALL.format(hours="1=1")))


def refresh_all_days(conn: Connection) -> None:
    """Rebuild all of `rollup_daily` (the migration that adds it)."""
    conn.execute(text("DELETE FROM rollup_daily"))
    conn.execute(text(_DAILY), {"lo": -(2**62), "hi": 2**62})
