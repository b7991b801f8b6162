"""`Store.tools`: tool calls of a period per tool (counts and every duration), the most frequent
failures (tool and error text), and the latest failing calls with their error text.

Only calls the model issued count (`call_entry_id` set: a result whose call was never seen is not a
call). Percentiles of the durations are arithmetic, done by `analytics`; over a period of whole hours
`summary` reads them from the duration histograms of the tool roll-ups instead (rollup_tools.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from clawscope.model import Filters
from clawscope.store import rollup_tools
from clawscope.store.duration_histogram import RELATIVE_ERROR
from clawscope.store.rollup_pending import SettledPart
from clawscope.store.sql_filters import where

_CALLS = "FROM tool_calls t JOIN sessions s ON s.sid = t.sid WHERE t.call_entry_id IS NOT NULL"


def _calls(f: Filters) -> str:
    """`_CALLS`, without the join when no session attribute is filtered (every tool call's session has
    a row: the writer stores it first, deletion removes both): the failed calls' partial index alone."""
    if any(v is not None for v in (f.agent, f.kind, f.channel, f.instance)):
        return _CALLS
    return "FROM tool_calls t WHERE t.call_entry_id IS NOT NULL"


class ToolCalls(SettledPart):  # reads roll-ups: settles what is owed first
    def per_tool(self, f: Filters) -> list[dict[str, Any]]:
        """Per real tool name: `key`, `toolCalls`, `toolErrors` and `durationsMs` (sorted, known ones only),
        most called first."""
        p: dict[str, Any] = {}
        sql = (
            f"SELECT t.name, t.status, COALESCE(t.duration_ms, t.result_ts_ms - t.ts_ms) AS d {_CALLS} "
            f"AND {where(f, 't.ts_ms', p)}"
        )
        stats: dict[str, tuple[list[int], list[int]]] = {}
        with self._read() as conn:
            for name, status, dur in conn.execute(text(sql), p):
                counts, durations = stats.setdefault(name, ([0, 0], []))
                counts[0] += 1
                counts[1] += status == "error"
                if dur is not None and dur >= 0:
                    durations.append(int(dur))
        ranked = sorted(stats.items(), key=lambda item: (-item[1][0][0], item[0]))
        return [
            {"key": name, "toolCalls": c[0], "toolErrors": c[1], "durationsMs": sorted(d)}
            for name, (c, d) in ranked
        ]

    def summary(self, f: Filters) -> list[dict[str, Any]] | None:
        """Per tool from the roll-ups: `key`, `toolCalls`, `toolErrors` (exact), `p50DurationMs` and
        `p95DurationMs` (within `duration_histogram.RELATIVE_ERROR`), most called first; None when the
        period does not start and end on whole UTC hours (then `per_tool` has the exact durations)."""
        if not rollup_tools.covers(f):
            return None
        with self._read() as conn:
            return rollup_tools.per_tool(conn, f)

    @staticmethod
    def duration_error(f: Filters) -> float:
        """The bound on the relative error of the p50/p95 durations `analytics` gives for `f`: the
        histogram's over whole hours, 0 (exact) otherwise."""
        return RELATIVE_ERROR if rollup_tools.covers(f) else 0.0

    def top_failures(self, f: Filters, limit: int) -> list[dict[str, Any]]:
        """The most frequent (tool, error text) pairs of failed calls: `tool`, `error_text`, `n` and
        `last_ms`."""
        p: dict[str, Any] = {"limit": limit}
        sql = (
            "SELECT t.name AS tool, COALESCE(t.error_text, '') AS error_text, count(*) AS n, "
            f"max(t.ts_ms) AS last_ms {_calls(f)} AND t.status = 'error' AND {where(f, 't.ts_ms', p)} "
            "GROUP BY t.name, COALESCE(t.error_text, '') ORDER BY count(*) DESC, t.name LIMIT :limit"
        )
        return self._rows(sql, p)

    def latest_failures(self, f: Filters, limit: int = 50) -> list[dict[str, Any]]:
        """The most recent failing calls of the period, with their error text and session."""
        p: dict[str, Any] = {"limit": limit}
        sql = (
            "SELECT t.name, t.ts_ms, t.error_text, t.exit_code, t.duration_ms, s.session_id, s.agent_id "
            f"{_CALLS} AND t.status = 'error' AND {where(f, 't.ts_ms', p)} "
            "ORDER BY t.ts_ms DESC LIMIT :limit"
        )
        return self._rows(sql, p)
