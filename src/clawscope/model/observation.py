"""An observation: one thing OpenClaw reported live, apart from its transcripts.

Plugin-hook and outbound-webhook events (`sources/hook_events.py`) and diagnostics-otel spans, metric
points and log records (`sources/otlp.py`) decode to this one plain shape. Observations are stored in
their own table and never merged into the transcript-derived calls, so nothing is counted twice.
`dedupe` identifies the observation so that a resend is stored once.
"""

from __future__ import annotations

from typing import Any

import msgspec

CATEGORIES = ("tool", "llm", "session", "message", "problem", "run", "span", "metric", "log", "other")


class Observation(msgspec.Struct, kw_only=True):
    source: str  # "hook" | "otlp"
    category: str  # one of CATEGORIES
    name: str
    ts_ms: int
    dedupe: str
    instance: str | None = None
    agent: str | None = None
    session_id: str | None = None
    session_key: str | None = None
    run_id: str | None = None
    call_id: str | None = None
    tool_name: str | None = None
    provider: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cache_read: int | None = None
    cache_write: int | None = None
    total_tokens: int | None = None
    cost_usd: float | None = None
    value: float | None = None
    duration_ms: float | None = None
    is_error: bool | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
