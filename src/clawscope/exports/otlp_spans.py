"""A session's transcript as OTLP spans: one trace per turn, a span for each model call and tool call
with its real start and end, GenAI semantic-convention attributes (`gen_ai.*`) and OpenClaw's own
(`openclaw.*`, as its diagnostics-otel plugin names them); the README lists them all.

A turn starts at a user message (what came before the first one is a turn of its own) and runs to the
next. Ids derive from OpenClaw's: the trace id from (session id, the entry id that opened the turn), a
span id from (session id, entry id of the model call or tool call id), so sending a turn twice sends the
same trace. No content leaves the machine: no prompt, reply, tool argument, output or error text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from clawscope import __version__
from clawscope.money import usd, usd_or_none

SCOPE = InstrumentationScope("clawscope", __version__)
MS = 1_000_000  # ns per ms


def _id(kind: str, *parts: str, size: int) -> int:
    digest = hashlib.sha256("\x00".join(("clawscope/otlp/v1", kind, *parts)).encode()).digest()
    return int.from_bytes(digest[:size], "big") or 1  # an all-zero id is invalid


def trace_id(session_id: str, turn: str) -> int:
    return _id("trace", session_id, turn, size=16)


def span_id(kind: str, session_id: str, ref: str) -> int:
    return _id(kind, session_id, ref, size=8)


@dataclass
class Turn:
    """One turn of a session: the entry that opened it and the positions it covers."""

    anchor: str
    first_pos: int
    opened_ms: int | None = None  # when the entry that opened the turn was written
    last_pos: int = 0
    start_ms: int | None = None
    end_ms: int | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    entry_pos: dict[str, int] = field(default_factory=dict)

    def widen(self, *times: int | None) -> None:
        for t in times:
            if t is None:
                continue
            self.start_ms = t if self.start_ms is None else min(self.start_ms, t)
            self.end_ms = t if self.end_ms is None else max(self.end_ms, t)


def turns(session: dict[str, Any]) -> list[Turn]:
    """The turns of a session (`Store.otlp.session`), in order, each with its model and tool calls."""
    out: list[Turn] = []
    where: dict[str, Turn] = {}
    for e in session["entries"]:
        if not out or e["role"] == "user":
            out.append(Turn(e["entry_id"], e["pos"], e["ts_ms"]))
        turn = out[-1]
        turn.last_pos = e["pos"]
        turn.entry_pos[e["entry_id"]] = e["pos"]
        turn.widen(e["ts_ms"])
        where[e["entry_id"]] = turn
    for c in session["calls"]:
        if c["entry_id"] in where:
            turn = where[c["entry_id"]]
            turn.calls.append(c)
            turn.widen(c["started_ms"], c["ts_ms"])
    for t in session["tools"]:
        if t["call_entry_id"] in where:
            turn = where[t["call_entry_id"]]
            turn.tools.append(t)
            turn.widen(t["ts_ms"], _tool_end(t))
    for turn in out:
        turn.calls.sort(key=lambda c: turn.entry_pos[c["entry_id"]])
        turn.tools.sort(key=lambda t: (turn.entry_pos[t["call_entry_id"]], t["call_id"]))
    return out


def _tool_end(t: dict[str, Any]) -> int | None:
    if t["result_ts_ms"] is not None:
        return int(t["result_ts_ms"])
    if t["ts_ms"] is not None and t["duration_ms"] is not None and t["duration_ms"] >= 0:
        return int(t["ts_ms"]) + int(t["duration_ms"])
    return None


def resource(instance: str) -> Resource:
    return Resource.create(
        {
            "service.name": "openclaw",
            "service.instance.id": instance,
            "host.name": instance,
            "clawscope.version": __version__,
        }
    )


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if v is not None and v != ""}


def session_attrs(session: dict[str, Any]) -> dict[str, Any]:
    return {
        "openclaw.session.id": session["session_id"],
        "openclaw.sessionKey": session["key"],
        "openclaw.session.kind": session["kind"],
        "openclaw.agent": session["agent_id"],
        "openclaw.channel": session["channel"],
        "openclaw.instance": session["instance"],
        "gen_ai.conversation.id": session["session_id"],
        "gen_ai.agent.name": session["agent_id"],
    }


def spans(session: dict[str, Any], turn: Turn, res: Resource, after_pos: int = -1) -> list[ReadableSpan]:
    """The spans of a turn: its root span and one per model call and tool call (only those after
    `after_pos`, and no root, when the turn was sent before up to there)."""
    sid = session["session_id"]
    tid = trace_id(sid, turn.anchor)
    root_ctx = SpanContext(tid, span_id("turn", sid, turn.anchor), False, TraceFlags(TraceFlags.SAMPLED))
    base = _clean(session_attrs(session))
    out: list[ReadableSpan] = []
    trigger = next((c["turn_trigger"] for c in turn.calls if c["turn_trigger"]), None) or session["trigger"]
    if after_pos < 0:
        run_id = next((c["run_id"] for c in turn.calls if c["run_id"]), None)
        attrs = {
            **base,
            "gen_ai.operation.name": "invoke_agent",
            "openclaw.trigger": trigger,
            "openclaw.turn.entry_id": turn.anchor,
            "openclaw.runId": run_id,
            "openclaw.model_calls": len(turn.calls),
            "openclaw.tool_calls": len(turn.tools),
            "gen_ai.usage.input_tokens": sum(int(c["input"]) for c in turn.calls),
            "gen_ai.usage.output_tokens": sum(int(c["output"]) for c in turn.calls),
            "openclaw.cost.usd": usd(sum(int(c["cost_total"] or 0) for c in turn.calls)),
            "openclaw.cost.estimated_usd": usd(sum(int(c["est_cost"] or 0) for c in turn.calls)),
        }
        errors = sum(1 for c in turn.calls if c["is_error"])
        out.append(
            ReadableSpan(
                f"invoke_agent {session['agent_id'] or 'openclaw'}",
                context=root_ctx,
                resource=res,
                attributes=_clean(attrs),
                kind=SpanKind.INTERNAL,
                status=Status(StatusCode.ERROR, f"{errors} model call(s) failed")
                if errors
                else Status(StatusCode.UNSET),
                start_time=(turn.start_ms or 0) * MS,
                end_time=(turn.end_ms or turn.start_ms or 0) * MS,
                instrumentation_scope=SCOPE,
            )
        )
    for c in turn.calls:
        if turn.entry_pos[c["entry_id"]] > after_pos:
            out.append(_call_span(sid, tid, root_ctx, base, trigger, c, res))
    for t in turn.tools:
        if turn.entry_pos[t["call_entry_id"]] > after_pos:
            out.append(_tool_span(sid, tid, root_ctx, base, trigger, t, res))
    return out


def _call_span(
    sid: str,
    tid: int,
    parent: SpanContext,
    base: dict[str, Any],
    trigger: str,
    c: dict[str, Any],
    res: Resource,
) -> ReadableSpan:
    end = c["ts_ms"] if c["ts_ms"] is not None else c["started_ms"]
    start = (
        c["started_ms"] if c["started_ms"] is not None and end is not None and c["started_ms"] <= end else end
    )
    attrs = {
        **base,
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": c["provider"],
        "gen_ai.request.model": c["model"],
        "gen_ai.response.model": c["model"],
        "gen_ai.response.id": c["response_id"],
        "gen_ai.response.finish_reasons": [c["stop_reason"]] if c["stop_reason"] else None,
        "gen_ai.usage.input_tokens": int(c["input"]),
        "gen_ai.usage.output_tokens": int(c["output"]),
        "gen_ai.usage.cache_read.input_tokens": int(c["cache_read"]),
        "gen_ai.usage.cache_creation.input_tokens": int(c["cache_write"]),
        "openclaw.provider": c["provider"],
        "openclaw.model": c["model"],
        "openclaw.api": c["api"],
        "openclaw.trigger": trigger,
        "openclaw.entry.id": c["entry_id"],
        "openclaw.runId": c["run_id"],
        "openclaw.tokens.input": int(c["input"]),
        "openclaw.tokens.output": int(c["output"]),
        "openclaw.tokens.cache_read": int(c["cache_read"]),
        "openclaw.tokens.cache_write": int(c["cache_write"]),
        "openclaw.tokens.total": int(c["total_tokens"]),
        "openclaw.cost.usd": usd_or_none(c["cost_total"]),
        "openclaw.cost.estimated_usd": usd_or_none(c["est_cost"]),
    }
    if c["is_error"]:
        attrs["error.type"] = "model_error"
    return ReadableSpan(
        f"chat {c['model'] or 'unknown'}",
        context=SpanContext(tid, span_id("call", sid, c["entry_id"]), False, TraceFlags(TraceFlags.SAMPLED)),
        parent=parent,
        resource=res,
        attributes=_clean(attrs),
        kind=SpanKind.CLIENT,
        status=Status(StatusCode.ERROR, "the model call failed")
        if c["is_error"]
        else Status(StatusCode.UNSET),
        start_time=(start or 0) * MS,
        end_time=(end or 0) * MS,
        instrumentation_scope=SCOPE,
    )


def _tool_span(
    sid: str,
    tid: int,
    parent: SpanContext,
    base: dict[str, Any],
    trigger: str,
    t: dict[str, Any],
    res: Resource,
) -> ReadableSpan:
    start = t["ts_ms"]
    end = _tool_end(t)
    if start is None or end is None or end < start:
        end = start
    attrs = {
        **base,
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": t["name"],
        "gen_ai.tool.call.id": t["call_id"],
        "gen_ai.tool.type": "function",
        "openclaw.toolName": t["name"],
        "openclaw.tool.status": t["status"],
        "openclaw.trigger": trigger,
        "openclaw.entry.id": t["call_entry_id"],
        "openclaw.result.entry_id": t["result_entry_id"],
        "openclaw.exitCode": t["exit_code"],
        "openclaw.tool.duration_ms": t["duration_ms"],
    }
    if t["status"] == "error":
        attrs["error.type"] = "tool_error"
    return ReadableSpan(
        f"execute_tool {t['name']}",
        context=SpanContext(tid, span_id("tool", sid, t["call_id"]), False, TraceFlags(TraceFlags.SAMPLED)),
        parent=parent,
        resource=res,
        attributes=_clean(attrs),
        kind=SpanKind.INTERNAL,
        status=Status(StatusCode.ERROR, "the tool call failed")
        if t["status"] == "error"
        else Status(StatusCode.UNSET),
        start_time=(start or 0) * MS,
        end_time=(end or 0) * MS,
        instrumentation_scope=SCOPE,
    )
