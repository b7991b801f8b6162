"""The transcript decoder: what counts as a model call, a tool call, an error, and what is a problem."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from clawscope.model import ProblemCode, Severity, ToolStatus, Trigger
from clawscope.sources.transcript import TranscriptDecoder, classify_turn

TS = "2026-11-21T05:28:18.893Z"


def line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj).encode()


def assistant(eid: str, **msg: Any) -> bytes:
    base = {
        "role": "assistant",
        "content": [],
        "api": "openai-completions",
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "stopReason": "stop",
        "timestamp": 1795238898000,
        "usage": {
            "input": 100,
            "output": 10,
            "cacheRead": 5,
            "cacheWrite": 1,
            "totalTokens": 116,
            "cost": {
                "input": 0.0003,
                "output": 0.00015,
                "cacheRead": 0.0000015,
                "cacheWrite": 0.00000375,
                "total": 0.00045525,
            },
        },
    }
    base.update(msg)
    return line({"type": "message", "id": eid, "parentId": None, "timestamp": TS, "message": base})


def user(eid: str, text: str) -> bytes:
    return line(
        {
            "type": "message",
            "id": eid,
            "timestamp": TS,
            "message": {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": 1},
        }
    )


def decode(*lines: bytes):
    d = TranscriptDecoder("s1", "jsonl", "/x.jsonl")
    for i, raw in enumerate(lines):
        d.feed(raw, i, f"line {i + 1}")
    return d.take()


def test_a_model_call_keeps_usage_cost_and_latency() -> None:
    b = decode(assistant("a1"))
    (call,) = b.llm_calls
    assert (call.provider, call.model, call.api, call.stop_reason) == (
        "anthropic",
        "claude-sonnet-4-5",
        "openai-completions",
        "stop",
    )
    assert (call.usage.input, call.usage.output, call.usage.cache_read, call.usage.cache_write) == (
        100,
        10,
        5,
        1,
    )
    assert call.cost.total == pytest.approx(0.00045525)
    assert call.latency_ms == 893  # entry written at 05:28:18.893, request started at 18.000
    assert len(b.entries) == 1 and b.entries[0].role == "assistant"


@pytest.mark.parametrize(
    "msg",
    [
        {"provider": "openclaw", "model": "gateway-injected", "api": "openai-responses"},
        {"provider": "openclaw", "model": "delivery-mirror", "api": "openai-responses"},
        {"provider": None, "model": None, "usage": None, "stopReason": "injected"},
        {"provider": None, "model": None, "usage": None, "api": None},
    ],
)
def test_injected_and_mirrored_rows_are_entries_but_not_model_calls(msg: dict[str, Any]) -> None:
    b = decode(assistant("a1", **msg))
    assert b.llm_calls == []
    assert [e.entry_id for e in b.entries] == ["a1"]


def test_the_reply_copy_after_an_embedded_run_is_not_a_model_call() -> None:
    """2026.7.35 under load: after the turn's two real calls OpenClaw appended its final text again
    (`api:"cli"`, usage summed over the run); counting it counted the turn twice."""
    summed = {"input": 200, "output": 20, "cacheRead": 10, "cacheWrite": 2, "totalTokens": 232}
    b = decode(
        user("u1", "delegate this"),
        assistant("a1", stopReason="toolUse"),
        assistant("a2"),
        assistant("a3", api="cli", usage=summed),
        user("u2", "next"),
        assistant("a4", api="cli", usage=summed),  # a CLI backend's turn: its only row is the call
    )
    assert [c.entry_id for c in b.llm_calls] == ["a1", "a2", "a4"]
    assert [e.entry_id for e in b.entries] == ["u1", "a1", "a2", "a3", "u2", "a4"]


def test_a_gap_fill_read_in_a_later_run_still_knows_its_turn() -> None:
    d = TranscriptDecoder("s1", "jsonl", "/x.jsonl")
    d.feed(user("u1", "go"), 0, "line 1")
    d.feed(assistant("a1"), 1, "line 2")
    d.take()
    state = msgspec.json.decode(msgspec.json.encode(d.state), type=type(d.state))  # saved with the cursor
    d2 = TranscriptDecoder("s1", "jsonl", "/x.jsonl", state=state)
    d2.feed(assistant("a2", api="cli"), 2, "line 3")
    assert d2.take().llm_calls == []


def test_error_turns_count_as_calls_with_stop_reason_error() -> None:
    zero = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 0, "cost": {"total": 0}}
    b = decode(assistant("e1", stopReason="error", errorMessage="500 boom", usage=zero))
    (call,) = b.llm_calls
    assert call.is_error and call.error_message == "500 boom" and call.cost.total == 0


def test_tool_call_joined_by_id_with_exec_risk_arguments() -> None:
    call = {
        "type": "toolCall",
        "id": "c1",
        "name": "exec",
        "arguments": {"command": "rm -rf /tmp/x", "elevated": True, "host": "gateway", "security": "full"},
    }
    result = {
        "type": "message",
        "id": "r1",
        "timestamp": TS,
        "message": {
            "role": "toolResult",
            "toolCallId": "c1",
            "toolName": "exec",
            "isError": False,
            "content": [{"type": "text", "text": "done"}],
            "details": {"status": "completed", "exitCode": 0, "durationMs": 13},
        },
    }
    b = decode(assistant("a1", content=[call], stopReason="toolUse"), line(result))
    (tc,) = b.tool_calls
    assert (tc.name, tc.call_id, tc.entry_id, tc.wrapper) == ("exec", "c1", "a1", None)
    assert tc.exec.elevated is True and tc.exec.host == "gateway" and tc.exec.security == "full"
    assert tc.exec.command == "rm -rf /tmp/x"
    assert json.loads(tc.arguments)["command"] == "rm -rf /tmp/x"
    (tr,) = b.tool_results
    assert (tr.call_id, tr.status, tr.exit_code, tr.duration_ms, tr.output_bytes) == (
        "c1",
        ToolStatus.OK,
        0,
        13,
        4,
    )


@pytest.mark.parametrize(
    ("is_error", "status", "expected"),
    [
        (False, "error", ToolStatus.ERROR),
        (True, "completed", ToolStatus.ERROR),
        (True, None, ToolStatus.ERROR),
        (False, "completed", ToolStatus.OK),
        (None, None, ToolStatus.OK),
        (False, "failed", ToolStatus.ERROR),
    ],
)
def test_tool_failure_from_is_error_or_details_status(is_error, status, expected) -> None:
    details = {"status": status, "tool": "read", "error": "ENOENT: no such file"} if status else {}
    result = {
        "type": "message",
        "id": "r1",
        "timestamp": TS,
        "message": {
            "role": "toolResult",
            "toolCallId": "c1",
            "toolName": "read",
            "isError": is_error,
            "content": [{"type": "text", "text": "ENOENT"}],
            "details": details,
        },
    }
    (tr,) = decode(line(result)).tool_results
    assert tr.status == expected
    if expected == ToolStatus.ERROR:
        assert tr.error_text


def test_tool_search_wrapper_counts_once_under_the_inner_tool() -> None:
    call = {
        "type": "toolCall",
        "id": "c9",
        "name": "tool_call",
        "arguments": {"id": "sessions_spawn", "args": {"task": "hi", "label": "child"}},
    }
    nested = {
        "type": "message",
        "id": "n1",
        "timestamp": TS,
        "message": {
            "role": "custom",
            "customType": "openclaw.nested-tool.v1",
            "display": True,
            "content": "",
            "details": {
                "parentToolCallId": "c9",
                "toolCallId": "tool_search_code:c9:sessions_spawn:1",
                "toolName": "sessions_spawn",
                "input": {"task": "hi"},
                "result": {"content": []},
            },
        },
    }
    wrapped_text = json.dumps(
        {"tool": {"id": "openclaw:core:sessions_spawn", "name": "sessions_spawn"}, "result": {"content": []}}
    )
    result = {
        "type": "message",
        "id": "r1",
        "timestamp": TS,
        "message": {
            "role": "toolResult",
            "toolCallId": "c9",
            "toolName": "tool_call",
            "isError": False,
            "content": [{"type": "text", "text": wrapped_text}],
        },
    }
    b = decode(assistant("a1", content=[call]), line(nested), line(result))
    (tc,) = b.tool_calls
    assert (tc.name, tc.wrapper) == ("sessions_spawn", "tool_call")
    assert {(r.call_id, r.nested, r.real_name) for r in b.tool_results} == {
        ("c9", True, "sessions_spawn"),
        ("c9", False, "sessions_spawn"),
    }


def test_namespaced_wrapper_ids_are_unwrapped() -> None:
    call = {
        "type": "toolCall",
        "id": "c1",
        "name": "tool_call",
        "arguments": {"id": "openclaw:core:web_search"},
    }
    (tc,) = decode(assistant("a1", content=[call])).tool_calls
    assert tc.name == "web_search"


def test_compaction_and_model_changes() -> None:
    def snapshot(eid: str, model: str) -> bytes:
        return line(
            {
                "type": "custom",
                "customType": "model-snapshot",
                "id": eid,
                "timestamp": TS,
                "data": {"provider": "openai", "modelApi": "openai-responses", "modelId": model},
            }
        )

    b = decode(
        line({"type": "model_change", "id": "m1", "timestamp": TS, "provider": "openai", "modelId": "gpt-5"}),
        line({"type": "thinking_level_change", "id": "t1", "timestamp": TS, "thinkingLevel": "high"}),
        snapshot("s1", "gpt-5"),  # the model in use: an entry, not a change
        snapshot("s2", "gpt-5-mini"),
        line(
            {
                "type": "compaction",
                "id": "c1",
                "timestamp": TS,
                "summary": "abc",
                "firstKeptEntryId": "x",
                "tokensBefore": 13825,
                "fromHook": True,
            }
        ),
    )
    assert [(c.kind, c.model, c.thinking_level, c.api) for c in b.changes] == [
        ("model", "gpt-5", None, None),
        ("thinking", None, "high", None),
        ("snapshot", "gpt-5-mini", None, "openai-responses"),
    ]
    assert len(b.entries) == 5
    (comp,) = b.compactions
    assert (comp.tokens_before, comp.first_kept_entry_id, comp.from_hook, comp.summary_chars) == (
        13825,
        "x",
        True,
        3,
    )


def test_unknown_entry_types_are_kept_and_reported_as_info() -> None:
    b = decode(line({"type": "hologram", "id": "h1", "timestamp": TS, "payload": {"x": 1}}))
    assert [e.type for e in b.entries] == ["hologram"]
    (p,) = b.problems
    assert (p.code, p.severity, p.location) == (ProblemCode.UNKNOWN_ENTRY_TYPE, Severity.INFO, "line 1")


def test_wrong_types_drop_the_field_not_the_record() -> None:
    b = decode(assistant("a1", usage={"input": "lots", "output": 7, "cost": {"total": 0.5}}))
    (call,) = b.llm_calls
    assert (call.usage.input, call.usage.output, call.cost.total) == (0, 7, 0.5)
    assert [(p.code, p.severity) for p in b.problems] == [(ProblemCode.WRONG_TYPE, Severity.WARNING)]
    assert "message.usage.input" in b.problems[0].reason


@pytest.mark.parametrize("bad", [-5, 1e12, float("nan")])
def test_absurd_numbers_are_ignored_and_reported(bad: float) -> None:
    raw = assistant("a1").replace(b'"output": 10', f'"output": {json.dumps(bad)}'.encode())
    b = decode(raw.replace(b"NaN", b"1e400"))
    (call,) = b.llm_calls
    assert call.usage.output == 0 and call.usage.input == 100
    assert [p.code for p in b.problems] == [ProblemCode.ABSURD_NUMBER]


def test_absurd_cost_is_not_counted() -> None:
    b = decode(assistant("a1", usage={"input": 1, "output": 1, "cost": {"total": 1e9}}))
    assert b.llm_calls[0].cost is None
    assert [p.code for p in b.problems] == [ProblemCode.ABSURD_NUMBER]


def test_missing_usage_on_a_real_call_is_reported() -> None:
    b = decode(assistant("a1", usage=None))
    assert b.llm_calls[0].usage is None
    assert [p.code for p in b.problems] == [ProblemCode.MISSING_USAGE]


def test_invalid_json_and_non_objects_are_problems_with_location() -> None:
    b = decode(b'{"type":"message",', b"[1,2]", b'"text"', assistant("ok"))
    assert [e.entry_id for e in b.entries] == ["ok"]
    assert [(p.code, p.location) for p in b.problems] == [
        (ProblemCode.INVALID_JSON, "line 1"),
        (ProblemCode.NOT_AN_OBJECT, "line 2"),
        (ProblemCode.NOT_AN_OBJECT, "line 3"),
    ]
    assert b.problems[0].excerpt == '{"type":"message",'


def test_invalid_utf8_is_repaired_and_reported() -> None:
    raw = user("u1", "hello XX").replace(b"XX", b"\xff\xfe")
    b = decode(raw)
    assert [e.entry_id for e in b.entries] == ["u1"]
    assert [p.code for p in b.problems] == [ProblemCode.INVALID_UTF8]


def test_a_cut_off_record_glued_to_the_next_is_split() -> None:
    glued = b'{"type":"message","id":"x1","message":{"role":"ass' + assistant("a2")
    b = decode(glued)
    assert [e.entry_id for e in b.entries] == ["a2"]
    assert [p.code for p in b.problems] == [ProblemCode.TRUNCATED_LINE]


def test_entries_without_ids_get_a_stable_content_id() -> None:
    raw = line({"type": "message", "timestamp": TS, "message": {"role": "user", "content": "v1 line"}})
    first, second = decode(raw).entries[0], decode(raw).entries[0]
    assert first.entry_id == second.entry_id and first.entry_id.startswith("~")


def test_seen_entries_are_skipped_entirely() -> None:
    d = TranscriptDecoder("s1", "jsonl", "/x", seen={"a1"})
    d.feed(assistant("a1"), 0, "line 1")
    d.feed(assistant("a2"), 1, "line 2")
    b = d.take()
    assert [c.entry_id for c in b.llm_calls] == ["a2"] and [e.entry_id for e in b.entries] == ["a2"]


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        (
            "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. "
            "If nothing needs attention, "
            "reply HEARTBEAT_OK.",
            Trigger.HEARTBEAT,
        ),
        ("[Sat 2026-11-21 05:28 UTC] Read HEARTBEAT.md if it exists", Trigger.HEARTBEAT),
        ("[cron:23da2779 nightly] cron task: do it", Trigger.CRON),
        (
            "[Sat 2026-11-21 05:28 UTC] OpenClaw runtime context (internal):\n"
            "[Internal task completion event]\n"
            "source: subagent\nsession_key: x",
            Trigger.SUBAGENT,
        ),
        ("[Sat 2026-11-21 05:28 UTC] hello there", None),
        ("please summarise my inbox", None),
    ],
)
def test_turn_triggers(text: str, trigger: Trigger | None) -> None:
    assert classify_turn(text) == trigger


def test_heartbeat_turns_inside_a_main_session_are_attributed() -> None:
    b = decode(
        user("u1", "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly."),
        assistant("a1", content=[{"type": "text", "text": "HEARTBEAT_OK"}]),
        user("u2", "what's the weather?"),
        assistant("a2"),
    )
    assert [(c.entry_id, c.turn_trigger) for c in b.llm_calls] == [("a1", Trigger.HEARTBEAT), ("a2", None)]


def test_reused_tool_call_ids_are_separate_calls_joined_to_their_own_results() -> None:
    def turn(n: int) -> list[bytes]:
        call = {"type": "toolCall", "id": "call_0", "name": "read", "arguments": {"path": f"/f{n}"}}
        result = {
            "type": "message",
            "id": f"r{n}",
            "timestamp": TS,
            "message": {
                "role": "toolResult",
                "toolCallId": "call_0",
                "toolName": "read",
                "isError": n == 2,
                "content": [{"type": "text", "text": "x"}],
            },
        }
        return [assistant(f"a{n}", content=[call]), line(result)]

    first = TranscriptDecoder("s1", "jsonl", "/x")
    for i, raw in enumerate(turn(1) + turn(2)):
        first.feed(raw, i, f"line {i}")
    b1 = first.take()
    # the next ingest run resumes with the saved state
    second = TranscriptDecoder("s1", "jsonl", "/x", state=first.state)
    for i, raw in enumerate(turn(3)):
        second.feed(raw, 10 + i, f"line {10 + i}")
    b2 = second.take()
    calls = [t.call_id for t in b1.tool_calls + b2.tool_calls]
    results = [(r.call_id, r.status) for r in b1.tool_results + b2.tool_results]
    assert calls == ["call_0", "call_0@a2", "call_0@a3"]
    assert results == [
        ("call_0", ToolStatus.OK),
        ("call_0@a2", ToolStatus.ERROR),
        ("call_0@a3", ToolStatus.OK),
    ]


def test_one_id_on_several_blocks_of_one_message_gives_a_call_per_block() -> None:
    # found by the fuzz test: three blocks with one id in a message after an earlier use of that id all
    # got `call_0@a2`, and the store's key (session, call id) kept one of them, silently
    def call(path: str) -> dict[str, object]:
        return {"type": "toolCall", "id": "call_0", "name": "read", "arguments": {"path": path}}

    dec = TranscriptDecoder("s1", "jsonl", "/x")
    lines = [assistant("a1", content=[call("/a"), call("/b")]), assistant("a2", content=[call("/c")] * 3)]
    for i, raw in enumerate(lines):
        dec.feed(raw, i, f"line {i}")
    calls = [t.call_id for t in dec.take().tool_calls]
    assert calls == ["call_0", "call_0@a1", "call_0@a2", "call_0@a2#1", "call_0@a2#2"]
    assert len(set(calls)) == 5
