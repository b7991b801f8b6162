"""Turns OpenClaw tool-call events into PEAC captured actions (stage 1 of the receipt pipeline).

Three inputs, one output:
* the PEAC adapter's own event shape (`tool_call_id`, `run_id`, `started_at`, … — what
  `@peac/adapter-openclaw` consumes), mapped exactly as upstream so the spool bytes match the vectors;
* OpenClaw's real `after_tool_call` hook payload (`{toolName, params, runId?, toolCallId?, result?,
  error?, durationMs?}` plus its context), which has no timestamps and no status: the caller supplies
  the clock;
* tool calls already ingested from transcripts (see `backfill.py`), which arrive as adapter events.

Beyond upstream, an event that would produce a receipt our own verifier rejects (wrong types, an
`interaction_id` over 256 characters, `completed_at` before `started_at`, `retryable: null`, …) is
refused here with `E_OPENCLAW_INVALID_FIELD`, so a captured action is always receiptable.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from clawscope.audit.canonical import CanonicalError, b64u_encode, jcs
from clawscope.audit.errors import AuditError, Code, Notice, WarningCode

STATUSES = ("ok", "error", "timeout", "canceled")
REQUIRED = ("tool_call_id", "run_id", "tool_name", "started_at", "status")
MIB = 1024 * 1024
ORIGIN_EXTENSION = "dev.clawscope/origin@0.1"
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_POLICY_KEYS = (
    ("decision", "policy_decision"),
    ("sandbox_enabled", "sandbox_enabled"),
    ("elevated", "elevated"),
    ("policy_hash", "policy_hash"),
)


@dataclass(frozen=True)
class AdapterConfig:
    """The settings of `@peac/adapter-openclaw` that shape actions and receipts.

    `exact_payload_size=False` reproduces the adapter: payloads are cut to `max_payload_size` BEFORE
    hashing, so a 1.1 MB output is labelled `sha-256` with `bytes: 1048576`. `True` follows the
    PEAC spec instead: the hasher truncates, labels `sha-256:trunc-1m` and keeps the original size.
    """

    issuer: str = ""
    audience: str | None = None
    platform: str = "openclaw"
    platform_version: str | None = None
    plugin_id: str | None = None
    max_payload_size: int = MIB
    exact_payload_size: bool = False

    @classmethod
    def from_json(cls, doc: Any) -> AdapterConfig:
        """Read an adapter config document (the shape of `peac-vectors/inputs/adapter-config.json`)."""
        if not isinstance(doc, dict):
            raise AuditError(Code.OPENCLAW_INVALID_FIELD, "adapter config must be a JSON object")
        signing = doc.get("signing") or {}
        capture = doc.get("capture") or {}
        if not isinstance(signing, dict) or not isinstance(capture, dict):
            raise AuditError(
                Code.OPENCLAW_INVALID_FIELD, "adapter config: signing and capture must be objects"
            )
        size = capture.get("max_payload_size", MIB)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise AuditError(
                Code.OPENCLAW_INVALID_FIELD, "adapter config: capture.max_payload_size must be >= 0"
            )
        return cls(
            issuer=_opt_str(signing, "issuer") or "",
            audience=_opt_str(signing, "audience"),
            platform=_opt_str(doc, "platform") or "openclaw",
            platform_version=_opt_str(doc, "platform_version"),
            plugin_id=_opt_str(doc, "plugin_id"),
            max_payload_size=size,
            exact_payload_size=capture.get("truncation") == "spec",
        )


def _opt_str(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AuditError(Code.OPENCLAW_INVALID_FIELD, f"adapter config: {key} must be a string")
    return value


@dataclass
class MappedAction:
    """A captured action ready for the spool: the action object (key order matters) and its payloads."""

    action: dict[str, Any]
    input_bytes: bytes | None
    output_bytes: bytes | None
    warnings: list[Notice] = field(default_factory=list)
    workflow: str | None = None


# -- adapter events -----------------------------------------------------------------------------


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness (objects and arrays are truthy even when empty)."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    return True


def map_adapter_event(event: Any, config: AdapterConfig, extra: dict[str, Any] | None = None) -> MappedAction:
    """Map one adapter-shaped event to a captured action, exactly as `mapToolCallEvent` does.

    `extra` holds namespaced metadata clawscope adds for its own sources (never for adapter events,
    whose bytes must match upstream). Raises AuditError with an `E_OPENCLAW_*` code.
    """
    action_id = _validate(event)
    warnings: list[Notice] = []
    input_bytes = _payload(event, "input", config, warnings)
    output_bytes = _payload(event, "output", config, warnings)
    action: dict[str, Any] = {
        "id": action_id,
        "kind": "tool.call",
        "platform": config.platform,
        "started_at": event["started_at"],
    }
    _copy(event, action, "completed_at")
    action["tool_name"] = event["tool_name"]
    _copy(event, action, "tool_provider")
    action["status"] = event["status"]
    _copy(event, action, "error_code")
    _copy(event, action, "retryable")
    action["metadata"] = _metadata(event, config) | (extra or {})
    session_key = event.get("session_key")
    workflow = session_key if isinstance(session_key, str) and session_key else None
    return MappedAction(action, input_bytes, output_bytes, warnings, workflow)


def interaction_id(run_id: str, tool_call_id: str) -> str:
    """`openclaw/<b64u(run_id)>/<b64u(tool_call_id)>`: unambiguous even when ids contain `/` or `:`."""
    return f"openclaw/{b64u_encode(run_id.encode('utf-8'))}/{b64u_encode(tool_call_id.encode('utf-8'))}"


def _copy(src: dict[str, Any], dst: dict[str, Any], key: str) -> None:
    # JavaScript drops `undefined` properties but keeps `null` ones; absent keys stay absent here.
    if key in src:
        dst[key] = src[key]


def _fail(code: Code, message: str) -> AuditError:
    return AuditError(code, message)


def _validate(event: Any) -> str:
    """Check an adapter event in upstream's order (then ours); returns its interaction id."""
    if not isinstance(event, dict):
        raise _fail(Code.OPENCLAW_INVALID_FIELD, "event must be a JSON object")
    for name in REQUIRED:
        if not js_truthy(event.get(name)):
            raise _fail(Code.OPENCLAW_MISSING_FIELD, f"Missing required field: {name}")
    for name in REQUIRED:
        if not isinstance(event[name], str):
            raise _fail(Code.OPENCLAW_INVALID_FIELD, f"Invalid {name}: expected a string")
    if event["status"] not in STATUSES:
        raise _fail(
            Code.OPENCLAW_INVALID_FIELD,
            f"Invalid status: {event['status']}. Expected one of: {', '.join(STATUSES)}",
        )
    started = instant(event["started_at"])
    if started is None:
        raise _fail(
            Code.OPENCLAW_INVALID_FIELD,
            f"Invalid started_at timestamp: {event['started_at']}. Expected RFC 3339 format.",
        )
    completed_at = event.get("completed_at")
    if js_truthy(completed_at):
        completed = instant(completed_at) if isinstance(completed_at, str) else None
        if completed is None:
            raise _fail(
                Code.OPENCLAW_INVALID_FIELD,
                f"Invalid completed_at timestamp: {completed_at}. Expected RFC 3339 format.",
            )
        if completed < started:
            raise _fail(Code.OPENCLAW_INVALID_FIELD, "Invalid completed_at: earlier than started_at")
    return _validate_optional(event)


def _validate_optional(event: dict[str, Any]) -> str:
    limits = {"tool_name": 256, "tool_provider": 128, "error_code": 128}
    for name, limit in limits.items():
        value = event.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise _fail(
                Code.OPENCLAW_INVALID_FIELD, f"Invalid {name}: expected a string of at most {limit} chars"
            )
    if "retryable" in event and not isinstance(event["retryable"], bool):
        raise _fail(Code.OPENCLAW_INVALID_FIELD, "Invalid retryable: expected true or false")
    if js_truthy(event.get("tool_version")) and not isinstance(event["tool_version"], str):
        raise _fail(Code.OPENCLAW_INVALID_FIELD, "Invalid tool_version: expected a string")
    for name in ("policy", "context"):
        if event.get(name) is not None and not isinstance(event[name], dict):
            raise _fail(Code.OPENCLAW_INVALID_FIELD, f"Invalid {name}: expected an object")
    action_id = interaction_id(event["run_id"], event["tool_call_id"])
    if len(action_id) > 256:
        raise _fail(
            Code.OPENCLAW_INVALID_FIELD, "run_id and tool_call_id are too long (interaction_id > 256 chars)"
        )
    return action_id


def _payload(event: dict[str, Any], name: str, config: AdapterConfig, warnings: list[Notice]) -> bytes | None:
    if name not in event:
        return None
    try:
        data = jcs(event[name])
    except CanonicalError as exc:
        warnings.append(
            Notice(
                WarningCode.OPENCLAW_SERIALIZATION_FAILED,
                f"{name} payload could not be serialized ({exc})",
                name,
            )
        )
        return None
    if not config.exact_payload_size and len(data) > config.max_payload_size:
        warnings.append(
            Notice(
                WarningCode.OPENCLAW_PAYLOAD_TRUNCATED,
                f"{name} payload exceeded {config.max_payload_size} bytes and was truncated "
                f"(original {len(data)} bytes)",
                name,
            )
        )
        data = data[: config.max_payload_size]
    return data


def _metadata(event: dict[str, Any], config: AdapterConfig) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if js_truthy(config.platform_version):
        meta["platform_version"] = config.platform_version
    if js_truthy(config.plugin_id):
        meta["plugin_id"] = config.plugin_id
    if js_truthy(event.get("tool_version")):
        meta["tool_version"] = event["tool_version"]
    policy = event.get("policy")
    if isinstance(policy, dict):  # validated: an object or null
        for src, dst in _POLICY_KEYS:
            if src in policy:
                meta[dst] = policy[src]
    context = event.get("context")
    context = context if isinstance(context, dict) else None
    ctx: dict[str, Any] = {}
    if context is not None:
        for key in ("channel", "workspace_digest", "gateway_version"):
            if js_truthy(context.get(key)):
                ctx[key] = context[key]
    ctx["tool_call_id"] = event["tool_call_id"]
    meta["org.openclaw/context"] = ctx
    if context is not None and js_truthy(context.get("audit_digest")):
        meta["org.openclaw/audit_digest"] = context["audit_digest"]
    return meta


# -- OpenClaw's after_tool_call hook ----------------------------------------------------------


def hook_to_adapter_event(
    event: Any, ctx: Any, *, completed_ms: int, started_ms: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Adapter event + clawscope origin metadata for an `after_tool_call` payload and its context.

    The hook carries no timestamps: `completed_ms` is when the hook fired; `started_ms` is the
    `before_tool_call` time when the caller tracked it, else `completed_ms - durationMs`.
    """
    if not isinstance(event, dict):
        raise _fail(Code.OPENCLAW_INVALID_FIELD, "after_tool_call event must be a JSON object")
    ctx = ctx if isinstance(ctx, dict) else {}
    duration = event.get("durationMs")
    if started_ms is None:
        started_ms = completed_ms
        if isinstance(duration, int | float) and not isinstance(duration, bool) and 0 <= duration < 2**53:
            started_ms = completed_ms - int(duration)
    adapter: dict[str, Any] = {
        "tool_call_id": event.get("toolCallId") or ctx.get("toolCallId"),
        "run_id": event.get("runId") or ctx.get("runId") or ctx.get("sessionId"),
        "tool_name": event.get("toolName") or ctx.get("toolName"),
        "started_at": iso_ms(started_ms),
        "completed_at": iso_ms(max(completed_ms, started_ms)),
        "status": "error" if js_truthy(event.get("error")) else "ok",
    }
    if isinstance(ctx.get("sessionKey"), str):
        adapter["session_key"] = ctx["sessionKey"]
    if "params" in event:
        adapter["input"] = event["params"]
    if event.get("result") is not None:
        adapter["output"] = event["result"]
    origin = {"source": "after_tool_call"} | {
        dst: ctx[src]
        for src, dst in (("agentId", "agent_id"), ("sessionKey", "session_key"), ("sessionId", "session_id"))
        if isinstance(ctx.get(src), str)
    }
    return adapter, {ORIGIN_EXTENSION: origin}


# -- timestamps -------------------------------------------------------------------------------


def instant(text: Any) -> Decimal | None:
    """Seconds since the epoch of an RFC 3339 timestamp (offsets allowed), or None when invalid."""
    if not isinstance(text, str):
        return None
    m = _RFC3339.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    offset = 0
    if m.group(8) != "Z":
        oh, om = int(m.group(9)), int(m.group(10))
        if oh > 23 or om > 59:
            return None
        offset = (oh * 60 + om) * 60 * (1 if m.group(8)[0] == "+" else -1)
    seconds = Decimal(int((moment - _EPOCH).total_seconds()) - offset)
    return seconds + (Decimal(m.group(7)) if m.group(7) else Decimal(0))


def iso_ms(ms: int) -> str:
    """JavaScript `new Date(ms).toISOString()`: UTC, millisecond precision, `Z`."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"
