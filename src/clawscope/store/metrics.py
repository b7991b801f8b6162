"""`Store.metrics`: what `/metrics` and the OTLP metrics export read: all-time model-call and tool-call
counters and latency histograms per label set (the metrics roll-ups, metric_rollups.py), requests
received per endpoint and outcome, and the state of ingest and of the OTLP export.

Everything here is a small read: a scrape must stay fast over millions of model calls. Counters are
all-time totals, so they are right after a restart and equal in every server process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from clawscope.store import metric_rollups
from clawscope.store.rollup_pending import SettledPart
from clawscope.store.schema import CALL_LATENCY_BOUNDS_MS, TOOL_DURATION_BOUNDS_MS

CALL_BOUNDS_MS = CALL_LATENCY_BOUNDS_MS
TOOL_BOUNDS_MS = TOOL_DURATION_BOUNDS_MS


def _numbers(row: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL returns NUMERIC for some sums; callers get ints (costs in whole nano-dollars)."""
    return {k: int(v) if k not in _TEXT and v is not None else v for k, v in row.items()}


_TEXT = {"instance", "agent", "trigger", "channel", "provider", "model", "tool", "endpoint", "outcome"}


class Metrics(SettledPart):  # reads roll-ups: settles what is owed first
    def calls(self) -> list[dict[str, Any]]:
        """One row per (instance, agent, trigger, channel, provider, model): `calls`, `errors`, tokens,
        `cost`, `est_cost` (nano-dollars), `dur_n`/`dur_sum` (ms, calls with a known latency), `b0…`
        (calls per latency bucket of `CALL_BOUNDS_MS`, the last one above all bounds) and `first_ms`.
        Agent, channel and provider are '' when unknown; model is 'unknown'."""
        return self._rows("SELECT * FROM metric_calls", {})  # plain columns: ints as stored

    def tools(self) -> list[dict[str, Any]]:
        """One row per (instance, agent, trigger, channel, tool): `calls`, `errors`, `pending`, `dur_n`,
        `dur_sum`, `b0…` (per bucket of `TOOL_BOUNDS_MS`) and `first_ms`."""
        return self._rows("SELECT * FROM metric_tools", {})

    def requests(self) -> list[dict[str, Any]]:
        """Requests received per `endpoint` and `outcome` (`n`), added by every server process."""
        return self._rows("SELECT endpoint, outcome, n FROM request_counts", {})

    def count_requests(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Add these counts (per (endpoint, outcome)) to the stored ones."""
        rows = [
            {"endpoint": e, "outcome": o, "n": n, "now": self._clock()} for (e, o), n in counts.items() if n
        ]
        if not rows:
            return
        with self._write() as conn:
            conn.execute(
                text(
                    "INSERT INTO request_counts (endpoint, outcome, n, updated_ms) "
                    "VALUES (:endpoint, :outcome, :n, :now) ON CONFLICT (endpoint, outcome) "
                    "DO UPDATE SET n = request_counts.n + excluded.n, updated_ms = excluded.updated_ms"
                ),
                rows,
            )

    def ingest(self) -> dict[str, Any]:
        """`sessions` (with entries), `last_run_ms` and `last_status` of the latest recorded ingest,
        and `problems`: counts per (source, code, severity)."""
        with self._read() as conn:
            sessions = conn.execute(  # see schema.empty_sessions_index
                text(
                    "SELECT (SELECT count(*) FROM sessions) - "
                    "(SELECT count(*) FROM sessions WHERE n_entries = 0)"
                )
            ).scalar()
            last = conn.execute(
                text("SELECT finished_ms, status FROM ingest_runs ORDER BY run_id DESC LIMIT 1")
            ).first()
            problems = conn.execute(
                text("SELECT source, code, severity, count(*) FROM problems GROUP BY source, code, severity")
            ).all()
        return {
            "sessions": int(sessions or 0),
            "last_run_ms": None if last is None or last[0] is None else int(last[0]),
            "last_status": None if last is None else str(last[1]),
            "problems": [(str(s), str(c), str(v), int(n)) for s, c, v, n in problems],
        }

    def otlp(self) -> list[dict[str, Any]]:
        """Per OTLP export target: `turns` and `spans` sent and acknowledged, `last_sent_ms`."""
        return [
            _numbers(r)
            for r in self._rows(
                "SELECT target, count(*) AS turns, COALESCE(sum(spans), 0) AS spans, "
                "max(sent_ms) AS last_sent_ms FROM otlp_turns GROUP BY target",
                {},
            )
        ]

    def rebuild(self) -> None:
        """Recompute the label-set totals from the per-session rows (a repair; they never drift)."""
        with self._write() as conn:
            metric_rollups.rebuild(conn)
