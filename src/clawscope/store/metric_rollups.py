"""The metrics roll-ups (revision 0011): all-time counters and latency histograms per label set, kept
exact by difference.

`refresh(conn, sids)` runs in the same transaction as the analytics roll-ups of those sessions: it sums
the sessions' old per-session rows by label set, rebuilds those rows from the raw model and tool calls,
sums them again, and adds the difference to the label-set tables. So the label-set tables are always the
sum of the per-session rows, whatever order writes, re-reads and deletions come in (`rebuild` makes
them from scratch; a test compares the two), and a scrape reads a few hundred rows instead of grouping
millions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text

from clawscope.store.engine import execute_in
from clawscope.store.schema import (
    CALL_KEYS,
    CALL_LATENCY_BOUNDS_MS,
    CALL_MEASURES,
    TOOL_DURATION_BOUNDS_MS,
    TOOL_KEYS,
    TOOL_MEASURES,
)

_CHUNK = 500


def _bucket_sums(column: str, bounds: Sequence[int]) -> str:
    """One `sum(CASE …)` per histogram bucket (not cumulative), the last one for +Inf."""
    parts = []
    lower: int | None = None
    for upper in bounds:
        low = "" if lower is None else f"{column} > {lower} AND "
        parts.append(f"sum(CASE WHEN {low}{column} <= {upper} THEN 1 ELSE 0 END)")
        lower = upper
    parts.append(f"sum(CASE WHEN {column} > {lower} THEN 1 ELSE 0 END)")
    return ", ".join(parts)


def _cols(measures: Sequence[str], bounds: Sequence[int]) -> list[str]:
    return [*measures, "dur_n", "dur_sum", *(f"b{i}" for i in range(len(bounds) + 1))]


_CALL_COLS = _cols(CALL_MEASURES, CALL_LATENCY_BOUNDS_MS)
_TOOL_COLS = _cols(TOOL_MEASURES, TOOL_DURATION_BOUNDS_MS)
_SESSION_ATTRS = "s.instance, COALESCE(s.agent_id, ''), COALESCE(s.channel, '')"

_BUILD_CALLS = f"""
INSERT INTO metric_calls_sid (sid, trigger, provider, model, instance, agent, channel,
                              {", ".join(_CALL_COLS)}, first_ms)
SELECT l.sid, COALESCE(l.turn_trigger, s.trigger), COALESCE(l.provider, ''), COALESCE(l.model, 'unknown'),
       {_SESSION_ATTRS},
       count(*), sum(CASE WHEN l.is_error THEN 1 ELSE 0 END), sum(l.input), sum(l.output), sum(l.cache_read),
       sum(l.cache_write), COALESCE(sum(l.cost_total), 0), COALESCE(sum(l.est_cost), 0),
       count(l.lat), COALESCE(sum(l.lat), 0), {_bucket_sums("l.lat", CALL_LATENCY_BOUNDS_MS)}, min(l.ts_ms)
FROM (SELECT sid, turn_trigger, provider, model, is_error, input, output, cache_read, cache_write,
             cost_total, est_cost, ts_ms,
             CASE WHEN started_ms IS NOT NULL AND ts_ms >= started_ms THEN ts_ms - started_ms END AS lat
      FROM llm_calls WHERE sid IN :sids) AS l
JOIN sessions s ON s.sid = l.sid
GROUP BY l.sid, COALESCE(l.turn_trigger, s.trigger), COALESCE(l.provider, ''), COALESCE(l.model, 'unknown'),
         {_SESSION_ATTRS}"""

_BUILD_TOOLS = f"""
INSERT INTO metric_tools_sid (sid, trigger, tool, instance, agent, channel, {", ".join(_TOOL_COLS)}, first_ms)
SELECT t.sid, COALESCE(l.turn_trigger, s.trigger), t.name, {_SESSION_ATTRS},
       count(*), sum(CASE WHEN t.status = 'error' THEN 1 ELSE 0 END),
       sum(CASE WHEN t.status = 'pending' THEN 1 ELSE 0 END),
       count(t.d), COALESCE(sum(t.d), 0), {_bucket_sums("t.d", TOOL_DURATION_BOUNDS_MS)}, min(t.ts_ms)
FROM (SELECT sid, call_entry_id, name, status, ts_ms,
             CASE WHEN COALESCE(duration_ms, result_ts_ms - ts_ms) >= 0
                  THEN COALESCE(duration_ms, result_ts_ms - ts_ms) END AS d
      FROM tool_calls WHERE sid IN :sids AND call_entry_id IS NOT NULL) AS t
LEFT JOIN llm_calls l ON l.sid = t.sid AND l.entry_id = t.call_entry_id
JOIN sessions s ON s.sid = t.sid
GROUP BY t.sid, COALESCE(l.turn_trigger, s.trigger), t.name, {_SESSION_ATTRS}"""


class _Family:
    """One pair of tables: per session (`<name>_sid`) and per label set (`<name>`)."""

    def __init__(self, name: str, keys: Sequence[str], cols: Sequence[str], build: str) -> None:
        self.name = name
        self.keys = tuple(keys)
        self.cols = tuple(cols)
        sums = ", ".join(f"sum({c})" for c in cols)
        group = ", ".join(keys)
        self.grouped = text(
            f"SELECT {group}, {sums}, min(first_ms) FROM {name}_sid WHERE sid IN :sids GROUP BY {group}"
        ).bindparams(bindparam("sids", expanding=True))
        self.delete = text(f"DELETE FROM {name}_sid WHERE sid IN :sids").bindparams(
            bindparam("sids", expanding=True)
        )
        self.build = text(build).bindparams(bindparam("sids", expanding=True))
        names = [*keys, *cols, "first_ms"]
        adds = ", ".join(f"{c} = {name}.{c} + excluded.{c}" for c in cols)
        first = (
            f"first_ms = CASE WHEN excluded.first_ms IS NULL THEN {name}.first_ms "
            f"WHEN {name}.first_ms IS NULL OR excluded.first_ms < {name}.first_ms THEN excluded.first_ms "
            f"ELSE {name}.first_ms END"
        )
        self.upsert = text(
            f"INSERT INTO {name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)}) "
            f"ON CONFLICT ({group}) DO UPDATE SET {adds}, {first}"
        )
        self.prune = text(f"DELETE FROM {name} WHERE calls <= 0")
        self.clear = text(f"DELETE FROM {name}")
        self.all_grouped = text(f"SELECT {group}, {sums}, min(first_ms) FROM {name}_sid GROUP BY {group}")

    def sums(self, conn: Connection, sids: list[int]) -> dict[tuple[str, ...], list[Any]]:
        return self.read(execute_in(conn, self.grouped, "sids", sids))

    def read(self, rows: Iterable[Any]) -> dict[tuple[str, ...], list[Any]]:
        """Label tuple -> measures as Python numbers (PostgreSQL sums BIGINT as NUMERIC), then first_ms."""
        n = len(self.keys)
        out: dict[tuple[str, ...], list[Any]] = {}
        for r in rows:
            values: list[Any] = [int(v or 0) for v in r[n:-1]]  # (costs are whole nano-dollars too)
            values.append(None if r[-1] is None else int(r[-1]))
            out[tuple(r[:n])] = values
        return out

    def apply(
        self, conn: Connection, old: dict[tuple[str, ...], list[Any]], new: dict[tuple[str, ...], list[Any]]
    ) -> None:
        rows = []
        for key in old.keys() | new.keys():
            before = old.get(key)
            after = new.get(key)
            values = []
            for i in range(len(self.cols)):
                a = after[i] if after else 0
                b = before[i] if before else 0
                values.append(a - b)
            first = after[-1] if after else None
            if not any(values) and (first is None or (before and before[-1] == first)):
                continue
            labels = dict(zip(self.keys, key, strict=True))
            rows.append({**labels, **dict(zip(self.cols, values, strict=True)), "first_ms": first})
        if rows:
            conn.execute(self.upsert, rows)
            conn.execute(self.prune)


FAMILIES = (
    _Family("metric_calls", CALL_KEYS, _CALL_COLS, _BUILD_CALLS),
    _Family("metric_tools", TOOL_KEYS, _TOOL_COLS, _BUILD_TOOLS),
)


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild the per-session rows of these sessions and move the label-set totals by the difference
    (in the caller's transaction, after the analytics roll-up lock)."""
    ordered = sorted(sids)
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        for family in FAMILIES:
            old = family.sums(conn, chunk)
            execute_in(conn, family.delete, "sids", chunk)
            execute_in(conn, family.build, "sids", chunk)
            family.apply(conn, old, family.sums(conn, chunk))


def rebuild(conn: Connection) -> None:
    """The label-set tables from the per-session rows, from scratch (migration, tests, repair)."""
    for family in FAMILIES:
        conn.execute(family.clear)
        family.apply(conn, {}, family.read(conn.execute(family.all_grouped)))
