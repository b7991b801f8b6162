"""The counting rules of a transcript, as pure functions (format doc §2.4, §2.6, §9).

What is a model call, what a turn was triggered by, what a failed tool result looks like, and which
usage numbers are believable. The decoder applies them; tests pin them down one by one.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from clawscope.model import Cost, SessionKind, Trigger, Usage
from clawscope.sources.wire import WBlock, WMessage, WUsage, decode_json

NON_MODEL_MODELS = frozenset({"gateway-injected", "delivery-mirror"})
ERROR_STATUSES = frozenset(
    {"error", "failed", "failure", "timeout", "timed_out", "killed", "denied", "blocked", "aborted"}
)
MAX_TOKENS = 100_000_000  # per call; the largest context windows are ~10M tokens
MAX_COST_USD = 10_000.0  # per call
_ENVELOPE_MAX = 80
_STR = msgspec.json.Decoder(str)


def is_model_call(msg: WMessage) -> bool:
    """False for assistant rows OpenClaw wrote itself: injected notices, delivery mirrors, replies
    to slash commands (`stopReason:"injected"`), and rows with neither provider nor usage."""
    if msg.stopReason == "injected" or msg.model in NON_MODEL_MODELS:
        return False
    return not (msg.provider is None and msg.model is None and msg.usage is None)


def is_gap_fill(msg: WMessage, turn_model_calls: int) -> bool:
    """True for the reply copy OpenClaw appends after an embedded run when the transcript's last
    assistant text differs from the run's final text ("embedded assistant gap fill", 2026.7.x:
    `persistCliTurnTranscript`): `api:"cli"`, written after the turn's real model calls, with the
    *run's summed* usage. Counting it would count the turn twice. A real CLI-backend turn
    (`claude-cli` and the like) writes the same shape but is the turn's only assistant row."""
    return msg.api == "cli" and turn_model_calls > 0


def classify_turn(text: str) -> Trigger | None:
    """The trigger of a turn, from the user message that starts it (None: the session's own)."""
    body = text.lstrip()
    if body.startswith("[") and "]" in body[:_ENVELOPE_MAX] and not body.startswith("[cron:"):
        # Strip the local-time envelope "[Sat 2026-11-21 05:28 UTC] ".
        body = body[body.index("]") + 1 :].lstrip()
    if body.startswith("[cron:"):
        return Trigger.CRON
    if "HEARTBEAT.md" in body[:200] or body.startswith("HEARTBEAT") or "reply HEARTBEAT_OK" in body:
        return Trigger.HEARTBEAT
    if "[Internal task completion event]" in body and "source: subagent" in body:
        return Trigger.SUBAGENT
    return None


def infer_kind(first_user_text: str, trigger: Trigger | None) -> SessionKind | None:
    """What a session is, from its first user message, for transcripts whose key is unknown.

    Only markers that start a session of that kind count: a sub-agent's task and an isolated cron
    run's message. A heartbeat poll says nothing (they arrive in main sessions).
    """
    if "[Subagent Context]" in first_user_text[:300]:
        return SessionKind.SUBAGENT
    return SessionKind.CRON_RUN if trigger == Trigger.CRON else None


def run_trigger(run_id: str | None) -> Trigger | None:
    """Turns OpenClaw starts itself and marks in the run id (2026.9: a sub-agent's completion is
    announced to its parent as run `announce:v1:<childKey>:<childRunId>`, with no user message)."""
    if run_id is not None and run_id.startswith("announce:"):
        return Trigger.SUBAGENT
    return None


def text(raw: msgspec.Raw | str | None) -> str:
    """A JSON string kept raw by the wire decoder (so that long texts cost nothing until needed)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if not raw:
        return ""
    try:
        return _STR.decode(raw)
    except msgspec.DecodeError:
        return ""


def text_of(content: list[WBlock] | str | None, limit: int) -> str:
    """The first `limit` characters of a message's text."""
    if isinstance(content, str):
        return content[:limit]
    parts: list[str] = []
    size = 0
    for block in content or ():
        if block.text and size < limit:
            parts.append(text(block.text))
            size += len(parts[-1])
    return "\n".join(parts)[:limit]


def text_bytes(content: list[WBlock] | str | None) -> int:
    """Size of a message's text in UTF-8 bytes (as stored, escapes included), without decoding it."""
    if isinstance(content, str):
        return len(content.encode())
    return sum(len(b.text) - 2 for b in content or () if b.text)


def wrapped_tool_name(content: list[WBlock] | str | None) -> str | None:
    """The real tool of a Tool Search wrapper result, whose text is `{"tool":{"name":…},"result":…}`."""
    blocks = [content] if isinstance(content, str) else [text(b.text) for b in content or () if b.text]
    for body in blocks:
        if body.startswith("{") and '"tool"' in body[:200]:
            obj = decode_json(body.encode())
            tool = obj.get("tool") if isinstance(obj, dict) else None
            name = tool.get("name") if isinstance(tool, dict) else None
            if isinstance(name, str) and name:
                return name
    return None


def is_error_status(status: Any) -> bool:
    return isinstance(status, str) and status.lower() in ERROR_STATUSES


def usage_of(u: WUsage, bad: list[str]) -> tuple[Usage, Cost | None]:
    """Usage and reported cost of a call; absurd values are dropped and named in `bad`."""
    i, o, r, w, t = u.input, u.output, u.cacheRead, u.cacheWrite, u.totalTokens
    if (  # the fast path: five plain, believable integers (nearly every call)
        type(i) is int
        and type(o) is int
        and type(r) is int
        and type(w) is int
        and type(t) is int
        and 0 <= i <= MAX_TOKENS
        and 0 <= o <= MAX_TOKENS
        and 0 <= r <= MAX_TOKENS
        and 0 <= w <= MAX_TOKENS
        and 0 <= t <= MAX_TOKENS
    ):
        usage = Usage(i, o, r, w, t)
    else:
        usage = Usage(
            _tokens(i, "input", bad),
            _tokens(o, "output", bad),
            _tokens(r, "cacheRead", bad),
            _tokens(w, "cacheWrite", bad),
            _tokens(t, "totalTokens", bad),
        )
    c = u.cost
    if c is None:
        return usage, None
    ci, co, cr, cw, ct = c.input, c.output, c.cacheRead, c.cacheWrite, c.total
    if (  # fast path: five believable numbers
        ct is not None
        and ci is not None
        and co is not None
        and cr is not None
        and cw is not None
        and 0 <= ct <= MAX_COST_USD
        and 0 <= ci <= MAX_COST_USD
        and 0 <= co <= MAX_COST_USD
        and 0 <= cr <= MAX_COST_USD
        and 0 <= cw <= MAX_COST_USD
    ):
        return usage, Cost(float(ci), float(co), float(cr), float(cw), float(ct))
    parts = [
        _usd(c.input, "input", bad),
        _usd(c.output, "output", bad),
        _usd(c.cacheRead, "cacheRead", bad),
        _usd(c.cacheWrite, "cacheWrite", bad),
    ]
    total = _usd(c.total, "total", bad)
    if total is None and c.total is None and any(p is not None for p in parts):
        total = sum(p or 0.0 for p in parts)  # components reported without a total
    if total is None:
        return usage, None
    return usage, Cost(parts[0] or 0.0, parts[1] or 0.0, parts[2] or 0.0, parts[3] or 0.0, total)


def _tokens(value: float | None, name: str, bad: list[str]) -> int:
    if value is None:
        return 0
    if not math.isfinite(value) or value < 0 or value > MAX_TOKENS:
        bad.append(name)
        return 0
    return round(value)


def _usd(value: float | None, name: str, bad: list[str]) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_COST_USD:
        bad.append("cost." + name)
        return None
    return float(value)


def to_int(value: float | None) -> int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return int(value)


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
