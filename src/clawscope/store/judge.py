"""`Store.judge`: the semantic judge's calls, its cached verdicts and its spend.

The judge (detect/judge/) asks a model the user configured about one session and one family. Every
call is recorded with its outcome and its own tokens and cost, which are the judge's spend, kept apart
from the agents' (never in the usage tables). A verdict is reused while its `cache_key` (prompt version,
model, family, hash of the content sent) is the same: a session is judged once per prompt version.
`spent_since` is what the daily cap is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from clawscope.money import to_nano, usd
from clawscope.store import schema
from clawscope.store.engine import Part


@dataclass(frozen=True)
class JudgeCall:
    cache_key: str
    session_id: str
    family: str
    prompt_version: str
    model: str
    outcome: str  # ok | error | timeout | invalid | capped
    verdict: str | None = None  # validated JSON text (outcome ok)
    note: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class JudgeCalls(Part):
    def cached(self, cache_key: str) -> str | None:
        """The verdict (JSON text) of the newest successful call with this key, if any."""
        t = schema.judge_calls
        q = (
            select(t.c.verdict)
            .where(t.c.cache_key == cache_key, t.c.outcome == "ok")
            .order_by(t.c.call_id.desc())
            .limit(1)
        )
        with self._read() as conn:
            return conn.execute(q).scalar()

    def record(self, call: JudgeCall) -> None:
        row = {**call.__dict__, "created_ms": self._clock()}
        row["cost"] = to_nano(row.pop("cost_usd"))  # stored and summed as integer nano-dollars
        with self._write() as conn:
            conn.execute(insert(schema.judge_calls).values(**row))

    def spent_since(self, since_ms: int) -> float:
        """The judge's cost in USD of the calls made since `since_ms`."""
        t = schema.judge_calls
        q = select(func.coalesce(func.sum(t.c.cost), 0)).where(t.c.created_ms >= since_ms)
        with self._read() as conn:
            return usd(conn.execute(q).scalar_one())

    def totals(self, since_ms: int = 0) -> dict[str, Any]:
        """Calls per outcome, tokens and cost since `since_ms` (the judge's own spend, shown apart)."""
        t = schema.judge_calls
        q = (
            select(
                t.c.outcome,
                func.count().label("n"),
                func.coalesce(func.sum(t.c.input_tokens), 0).label("input"),
                func.coalesce(func.sum(t.c.output_tokens), 0).label("output"),
                func.coalesce(func.sum(t.c.cost), 0).label("cost"),
            )
            .where(t.c.created_ms >= since_ms)
            .group_by(t.c.outcome)
        )
        with self._read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
        return {
            "calls": {str(r["outcome"]): int(r["n"]) for r in rows},
            "inputTokens": sum(int(r["input"]) for r in rows),
            "outputTokens": sum(int(r["output"]) for r in rows),
            "costUsd": usd(sum(int(r["cost"]) for r in rows)),
        }
