"""Turns one session's transcript records, in order, into model objects.

Both storage eras feed it (a JSONL line and a `transcript_events` row are the same logical record),
and so will remote webhooks. It is stateful only in what a transcript needs across records: the
trigger of the current turn (a heartbeat poll, a cron message or a sub-agent announce inside a main
session) and whether the header was seen. That state is small, serialisable, and saved with the
source's cursor so that an incremental read continues exactly where the last one stopped.

Rules that decide money (format doc §2.4, §9):
* an assistant message is a model call unless it is a gateway-injected notice, a delivery mirror or
  an `injected` command reply;
* usage and cost are per call, as OpenClaw recorded them; absurd values are dropped and reported;
* a tool call is a `toolCall` block; the Tool Search wrapper `tool_call{id,args}` counts once, under
  the inner tool's name; a result is an error if `isError` OR `details.status` says so.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import msgspec

from clawscope.model import (
    Change,
    Compaction,
    Cost,
    Entry,
    ExecInfo,
    LlmCall,
    Problem,
    ProblemCode,
    Severity,
    ToolCall,
    ToolResult,
    ToolStatus,
    TranscriptBatch,
    Trigger,
    Usage,
)
from clawscope.sources.wire import (
    RecordError,
    WBlock,
    WDetails,
    WMessage,
    WRecord,
    WUsage,
    decode_json,
    decode_record,
    to_ms,
)

KNOWN_ENTRY_TYPES = frozenset(
    {
        "session",
        "message",
        "model_change",
        "thinking_level_change",
        "compaction",
        "branch_summary",
        "custom",
        "custom_message",
        "label",
        "session_info",
        "reset",
        "leaf",
    }
)
NON_MODEL_MODELS = frozenset({"gateway-injected", "delivery-mirror"})
ERROR_STATUSES = frozenset(
    {"error", "failed", "failure", "timeout", "timed_out", "killed", "denied", "blocked", "aborted"}
)
NESTED_TOOL = "openclaw.nested-tool.v1"
WRAPPERS = frozenset({"tool_call"})
EXEC_TOOLS = frozenset({"exec", "bash"})
MAX_TOKENS = 100_000_000  # per call; the largest context windows are ~10M tokens
MAX_COST_USD = 10_000.0  # per call
EXCERPT = 2000
ERROR_TEXT = 1000


class DecoderState(msgspec.Struct, omit_defaults=True):
    """What the decoder carries from one record to the next; saved with the source cursor."""

    turn_trigger: Trigger | None = None
    header_seen: bool = False


class TranscriptDecoder:
    """Decodes one session's records into a `TranscriptBatch`. Feed records in transcript order."""

    def __init__(
        self, session_id: str, source: str, path: str, state: DecoderState | None = None
    ) -> None:
        self.session_id = session_id
        self.source = source
        self.path = path
        self.state = state or DecoderState()
        self.header: WRecord | None = None
        self.batch = TranscriptBatch(session_id)

    def take(self) -> TranscriptBatch:
        """Return what was decoded since the last call and start a new batch."""
        batch, self.batch = self.batch, TranscriptBatch(self.session_id)
        return batch

    # -- records --------------------------------------------------------------------------------

    def feed(self, raw: bytes, pos: int, where: str) -> str | None:
        """Decode one record; return its entry id, or None when it could not be used at all."""
        try:
            rec, dropped = decode_record(raw)
        except RecordError as exc:
            self.problem(where, ProblemCode(exc.code), exc.reason, Severity.ERROR, raw)
            return None
        for path in dropped:
            self.problem(where, ProblemCode.WRONG_TYPE, f"wrong type at {path}; value ignored", Severity.WARNING, raw)
        return self.record(rec, raw, pos, where)

    def record(self, rec: WRecord, raw: bytes, pos: int, where: str) -> str:
        etype = rec.type
        if not etype:
            self.problem(where, ProblemCode.MISSING_FIELD, "record has no type", Severity.WARNING, raw)
            etype = "unknown"
        entry_id = rec.id or ("~" + hashlib.blake2b(raw, digest_size=10).hexdigest())
        ts = to_ms(rec.timestamp)
        msg = rec.message
        role = msg.role if msg is not None else None
        if etype == "session":
            self.header = rec
            self.state.header_seen = True
        elif etype == "message":
            if msg is None:
                self.problem(where, ProblemCode.MISSING_FIELD, "message entry without message", Severity.WARNING, raw)
            else:
                self._message(msg, entry_id, ts, where, raw)
        elif etype == "compaction":
            self._compaction(rec, entry_id, ts)
        elif etype in ("model_change", "thinking_level_change"):
            self._change(rec, entry_id, ts)
        elif etype == "custom" and rec.customType == "model-snapshot":
            self._snapshot(rec, entry_id, ts)
        elif etype not in KNOWN_ENTRY_TYPES:
            self.problem(where, ProblemCode.UNKNOWN_ENTRY_TYPE, f"unknown entry type {etype!r}; kept as is", Severity.INFO, raw)
        if ts is None and msg is not None and msg.timestamp is not None:
            ts = to_ms(msg.timestamp)
        self.batch.entries.append(Entry(self.session_id, entry_id, pos, etype, role, rec.parentId, ts, raw))
        return entry_id

    def problem(self, where: str, code: ProblemCode, reason: str, severity: Severity, raw: bytes = b"") -> None:
        excerpt = raw[:EXCERPT].decode("utf-8", "replace")
        self.batch.problems.append(Problem(self.source, self.path, where, code, reason, severity, excerpt))

    # -- messages -------------------------------------------------------------------------------

    def _message(self, msg: WMessage, entry_id: str, ts: int | None, where: str, raw: bytes) -> None:
        role = msg.role
        if role == "assistant":
            self._assistant(msg, entry_id, ts, where, raw)
        elif role == "toolResult":
            self._tool_result(msg, entry_id, ts)
        elif role == "user":
            self.state.turn_trigger = classify_turn(_text_of(msg.content, 4000))
        elif role == "custom" and msg.customType == NESTED_TOOL and msg.details is not None:
            self._nested_tool(msg.details, entry_id, ts)

    def _assistant(self, msg: WMessage, entry_id: str, ts: int | None, where: str, raw: bytes) -> None:
        if not is_model_call(msg):
            return
        usage, cost = self._usage(msg.usage, where, raw)
        if msg.usage is None:
            self.problem(where, ProblemCode.MISSING_USAGE, "assistant message without usage", Severity.WARNING, raw)
        started = to_ms(msg.timestamp)
        run_id = msg.openclaw.runId if msg.openclaw is not None else None
        self.batch.llm_calls.append(
            LlmCall(
                self.session_id, entry_id, ts, started, msg.provider, msg.model, msg.api, msg.stopReason,
                msg.errorMessage, usage, cost, msg.responseId, run_id, self.state.turn_trigger,
            )
        )
        if isinstance(msg.content, list):
            for index, block in enumerate(msg.content):
                if block.type in ("toolCall", "tool_use"):
                    self._tool_call(block, index, entry_id, ts)

    def _usage(self, u: WUsage | None, where: str, raw: bytes) -> tuple[Usage | None, Cost | None]:
        if u is None:
            return None, None
        bad: list[str] = []
        usage = Usage(
            _tokens(u.input, "input", bad),
            _tokens(u.output, "output", bad),
            _tokens(u.cacheRead, "cacheRead", bad),
            _tokens(u.cacheWrite, "cacheWrite", bad),
            _tokens(u.totalTokens, "totalTokens", bad),
        )
        cost = None
        c = u.cost
        if c is not None:
            parts = [_usd(v, name, bad) for v, name in ((c.input, "input"), (c.output, "output"),
                     (c.cacheRead, "cacheRead"), (c.cacheWrite, "cacheWrite"))]
            total = _usd(c.total, "total", bad)
            if total is None and c.total is None and any(p is not None for p in parts):
                total = sum(p or 0.0 for p in parts)  # components reported without a total
            if total is not None:
                cost = Cost(*(p or 0.0 for p in parts), total=total)
        for name in bad:
            self.problem(where, ProblemCode.ABSURD_NUMBER, f"absurd usage value {name}; ignored", Severity.WARNING, raw)
        return usage, cost

    def _tool_call(self, block: WBlock, index: int, entry_id: str, ts: int | None) -> None:
        call_id = block.id or f"{entry_id}#{index}"
        name = block.name or "unknown"
        raw_args = bytes(block.arguments) if block.arguments else None
        wrapper = None
        args: Any = None
        if name in WRAPPERS:
            args = decode_json(raw_args)
            inner = args.get("id") if isinstance(args, dict) else None
            if isinstance(inner, str) and inner:
                wrapper, name = name, inner.rsplit(":", 1)[-1]
                inner_args = args.get("args")
                args = inner_args if isinstance(inner_args, dict) else args
        exec_info = None
        if name in EXEC_TOOLS:
            if args is None:
                args = decode_json(raw_args)
            exec_info = _exec_info(args)
        self.batch.tool_calls.append(ToolCall(self.session_id, call_id, entry_id, ts, name, raw_args, wrapper, exec_info))

    def _tool_result(self, msg: WMessage, entry_id: str, ts: int | None) -> None:
        call_id = msg.toolCallId
        if not call_id:
            return
        d = msg.details or WDetails()
        texts = _texts(msg.content)
        real_name = _wrapped_tool_name(texts) if msg.toolName in WRAPPERS else None
        error = msg.isError is True or (d.status or "").lower() in ERROR_STATUSES
        error_text = _error_text(d, texts) if error else None
        self.batch.tool_results.append(
            ToolResult(
                self.session_id, call_id, entry_id, ts, msg.toolName,
                ToolStatus.ERROR if error else ToolStatus.OK, msg.isError, d.status,
                d.exitCode, _int(d.durationMs), error_text, sum(len(t) for t in texts), real_name,
            )
        )

    def _nested_tool(self, d: WDetails, entry_id: str, ts: int | None) -> None:
        if not d.parentToolCallId:
            return
        result = decode_json(d.result) if d.result else None
        rdetails = result.get("details") if isinstance(result, dict) else None
        rstatus = rdetails.get("status") if isinstance(rdetails, dict) else None
        error = d.isError is True or (isinstance(result, dict) and result.get("isError") is True) or (
            isinstance(rstatus, str) and rstatus.lower() in ERROR_STATUSES
        )
        self.batch.tool_results.append(
            ToolResult(
                self.session_id, d.parentToolCallId, entry_id, ts, d.toolName,
                ToolStatus.ERROR if error else ToolStatus.OK, d.isError,
                rstatus if isinstance(rstatus, str) else None, None, None, None, 0, d.toolName, nested=True,
            )
        )

    # -- other entries --------------------------------------------------------------------------

    def _compaction(self, rec: WRecord, entry_id: str, ts: int | None) -> None:
        self.batch.compactions.append(
            Compaction(
                self.session_id, entry_id, ts, _int(rec.tokensBefore), rec.firstKeptEntryId,
                rec.fromHook, len(rec.summary or ""),
            )
        )

    def _change(self, rec: WRecord, entry_id: str, ts: int | None) -> None:
        if rec.type == "model_change":
            change = Change(self.session_id, entry_id, ts, "model", provider=rec.provider, model=rec.modelId)
        else:
            change = Change(self.session_id, entry_id, ts, "thinking", thinking_level=rec.thinkingLevel)
        self.batch.changes.append(change)

    def _snapshot(self, rec: WRecord, entry_id: str, ts: int | None) -> None:
        data = decode_json(rec.data) if rec.data else None
        if not isinstance(data, dict):
            return
        self.batch.changes.append(
            Change(
                self.session_id, entry_id, ts, "snapshot",
                provider=_str(data.get("provider")), model=_str(data.get("modelId")), api=_str(data.get("modelApi")),
            )
        )


# -- pure helpers -------------------------------------------------------------------------------


def is_model_call(msg: WMessage) -> bool:
    """False for assistant rows OpenClaw wrote itself: injected notices, delivery mirrors, replies
    to slash commands (`stopReason:"injected"`), and rows with neither provider nor usage."""
    if msg.stopReason == "injected" or msg.model in NON_MODEL_MODELS:
        return False
    return not (msg.provider is None and msg.model is None and msg.usage is None)


_ENVELOPE_MAX = 80


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


def _text_of(content: list[WBlock] | str | None, limit: int) -> str:
    if isinstance(content, str):
        return content[:limit]
    if not content:
        return ""
    return "\n".join(b.text for b in content if b.text)[:limit]


def _texts(content: list[WBlock] | str | None) -> list[str]:
    if isinstance(content, str):
        return [content]
    return [b.text for b in content or () if b.text]


def _wrapped_tool_name(texts: list[str]) -> str | None:
    """The Tool Search wrapper's result text is JSON `{"tool":{"name":…},"result":…}`."""
    for text in texts:
        if text.startswith("{") and '"tool"' in text[:200]:
            obj = decode_json(text.encode())
            tool = obj.get("tool") if isinstance(obj, dict) else None
            name = tool.get("name") if isinstance(tool, dict) else None
            if isinstance(name, str) and name:
                return name
    return None


def _error_text(d: WDetails, texts: list[str]) -> str | None:
    err = decode_json(d.error) if d.error else None
    if isinstance(err, str) and err:
        return err[:ERROR_TEXT]
    if isinstance(err, dict):
        message = err.get("message")
        if isinstance(message, str):
            return message[:ERROR_TEXT]
    joined = "\n".join(texts)
    return joined[:ERROR_TEXT] or None


def _exec_info(args: Any) -> ExecInfo | None:
    if not isinstance(args, dict):
        return None
    elevated = args.get("elevated")
    return ExecInfo(
        command=_str(args.get("command")),
        elevated=elevated if isinstance(elevated, bool) else None,
        host=_str(args.get("host")),
        security=_str(args.get("security")),
        ask=_str(args.get("ask")),
    )


def _tokens(value: float | None, name: str, bad: list[str]) -> int:
    if value is None:
        return 0
    if isinstance(value, float) and (math.isnan(value) or value != int(value) if math.isfinite(value) else True):
        bad.append(name)
        return 0
    if value < 0 or value > MAX_TOKENS:
        bad.append(name)
        return 0
    return int(value)


def _usd(value: float | None, name: str, bad: list[str]) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_COST_USD:
        bad.append("cost." + name)
        return None
    return float(value)


def _int(value: float | None) -> int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return int(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
