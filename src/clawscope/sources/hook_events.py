"""Decode OpenClaw event envelopes `{event, timestamp, data}` into observations.

Two families arrive at `/api/v1/openclaw/events`:
* the outbound webhooks of the OpenClaw API guide (seed 003): `message.received`, `message.sent`,
  `session.started`, `session.ended`, `error.agent`, `channel.disconnected`;
* the typed plugin hooks (format doc §4.3), forwarded by `integrations/openclaw-plugin`:
  `after_tool_call`, `llm_output`, `session_start`, `session_end`, `subagent_spawned`,
  `subagent_ended`, `message_received`, `message_sent`, `agent_end`, … with the hook's context
  (`agentId`, `sessionKey`, `sessionId`, …) under `data.context` (or `data.ctx`).
Unknown event names are kept as category `other`. Tool arguments, results and message text are
kept as capped previews only.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from clawscope.model import Observation
from clawscope.sources.coerce import as_float, as_int, as_str, preview
from clawscope.sources.nesting import too_deep
from clawscope.timeutil import parse_iso_ms


class EnvelopeError(ValueError):
    """The body is not a valid event envelope; the message says why (and `param` where)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


CATEGORY = {
    "after_tool_call": "tool",
    "llm_output": "llm",
    "session_start": "session",
    "session_end": "session",
    "session.started": "session",
    "session.ended": "session",
    "subagent_spawned": "session",
    "subagent_ended": "session",
    "message_received": "message",
    "message_sent": "message",
    "message.received": "message",
    "message.sent": "message",
    "error.agent": "problem",
    "channel.disconnected": "problem",
    "agent_end": "run",
}
_CONTENT_KEYS = (
    "params",
    "result",
    "content",
    "response",
    "message",
    "assistantTexts",
    "lastAssistant",
    "prompt",
)


def parse_timestamp(value: Any) -> int | None:
    """ISO 8601 text or epoch milliseconds (seconds when small) → epoch ms."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * 1000) if value < 10_000_000_000 else int(value)
    if isinstance(value, str) and value:
        try:
            return parse_iso_ms(value)
        except ValueError:
            return None
    return None


def decode_envelope(body: bytes, *, received_ms: int, instance: str | None) -> Observation:
    if (why := too_deep(body)) is not None:
        raise EnvelopeError(f"the body is refused: {why}")
    try:
        env = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise EnvelopeError(f"the body is not JSON: {exc}") from None
    if not isinstance(env, dict):
        raise EnvelopeError("the body must be a JSON object {event, timestamp, data}")
    name = env.get("event")
    if not isinstance(name, str) or not name:
        raise EnvelopeError("`event` must be a non-empty string", "event")
    data = env.get("data", {})
    if not isinstance(data, dict):
        raise EnvelopeError("`data` must be an object", "data")
    ts = parse_timestamp(env.get("timestamp"))
    if env.get("timestamp") is not None and ts is None:
        raise EnvelopeError("`timestamp` must be ISO 8601 or epoch milliseconds", "timestamp")
    ctx = data.get("context") or data.get("ctx") or {}
    if not isinstance(ctx, dict):
        raise EnvelopeError("`data.context` must be an object", "data.context")

    def pick(*keys: str) -> Any:
        for k in keys:
            for src in (ctx, data):
                if src.get(k) not in (None, ""):
                    return src[k]
        return None

    category = CATEGORY.get(name, "other")
    obs = Observation(
        source="hook",
        category=category,
        name=name,
        ts_ms=ts or received_ms,
        dedupe="hook:" + hashlib.sha256(body).hexdigest(),
        instance=as_str(env.get("instance")) or instance,
        agent=as_str(pick("agentId", "agent", "agentName")),
        session_id=as_str(pick("sessionId")),
        session_key=as_str(pick("sessionKey")),
        run_id=as_str(pick("runId")),
        payload={**_payload(data), "context": ctx},
    )
    _fill(obs, name, data)
    return obs


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in ("context", "ctx")}
    for k in _CONTENT_KEYS:
        if k in out:
            out[k] = preview(out[k])
    return out


def _fill(obs: Observation, name: str, data: dict[str, Any]) -> None:
    if name == "after_tool_call":
        obs.tool_name = as_str(data.get("toolName"))
        obs.call_id = as_str(data.get("toolCallId"))
        obs.duration_ms = as_float(data.get("durationMs"))
        obs.is_error = data.get("error") not in (None, "", False)
    elif name == "llm_output":
        obs.provider = as_str(data.get("provider"))
        obs.model = as_str(data.get("model"))
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        obs.tokens_in = as_int(usage.get("input"))
        obs.tokens_out = as_int(usage.get("output"))
        obs.cache_read = as_int(usage.get("cacheRead"))
        obs.cache_write = as_int(usage.get("cacheWrite"))
        obs.total_tokens = as_int(usage.get("total"))
    elif name in ("session_end", "session.ended", "agent_end"):
        obs.duration_ms = as_float(data.get("durationMs"))
        obs.is_error = data.get("error") not in (None, "", False) or data.get("success") is False
    elif name in ("error.agent", "channel.disconnected"):
        obs.is_error = True
    elif name == "subagent_ended":
        obs.is_error = data.get("outcome") in ("error", "timeout", "killed")
    elif name == "message.sent":
        obs.total_tokens = as_int(data.get("tokensUsed"))
        obs.duration_ms = as_float(data.get("latencyMs"))
