"""Every record the demo writes has the shape real OpenClaw records have (format doc §2), in both eras."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from clawscope.demo import DemoTotals
from tests.oracle import transcripts

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
HEX8 = re.compile(r"^[0-9a-f]{8}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# List prices per million tokens (input, output, cacheRead, cacheWrite), from the providers' price pages.
PRICES = {
    "anthropic/claude-sonnet-4-5": (3, 15, 0.3, 3.75),
    "anthropic/claude-haiku-4-5": (1, 5, 0.1, 1.25),
    "openai/gpt-5": (1.25, 10, 0.125, 0),
    "openai/gpt-5-mini": (0.25, 2, 0.025, 0),
    "openai/gpt-4o-mini": (0.15, 0.6, 0.075, 0),
    "google/gemini-2.5-flash": (0.3, 2.5, 0.03, 0),
    "ollama/qwen3:14b": (0, 0, 0, 0),
}
ENTRY_KEYS = {
    "model_change": {"provider", "modelId"},
    "thinking_level_change": {"thinkingLevel"},
    "custom": {"customType", "data"},
    "message": {"message"},
    "compaction": {"summary", "firstKeptEntryId", "tokensBefore"},
}


def all_records(era: str, root: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(name, recs) for _, name, recs in transcripts(root, era)]


def test_headers_ids_and_chain(demo: tuple[str, Path, DemoTotals]) -> None:
    era, root, _ = demo
    version, id_shape = (3, HEX8) if era == "jsonl" else (4, UUID)
    for name, recs in all_records(era, root):
        head = recs[0]
        assert (head["type"], head["version"]) == ("session", version), name
        assert UUID.match(head["id"]), name
        assert ISO.match(head["timestamp"]), name
        assert head["cwd"].startswith("/"), name
        assert name.startswith(head["id"]), name  # JSONL file name, or SQLite session id
        parent = None
        seen: set[str] = set()
        for rec in recs[1:]:
            assert id_shape.match(rec["id"]), (name, rec["id"])
            assert rec["id"] not in seen, (name, rec["id"])
            assert rec["parentId"] == parent, (name, rec["id"])  # one linear chain, first parent null
            assert ISO.match(rec["timestamp"])
            assert ENTRY_KEYS[rec["type"]] <= set(rec), (name, rec)
            seen.add(rec["id"])
            parent = rec["id"]


def test_sessions_start_like_openclaw_and_time_moves_forward(demo: tuple[str, Path, DemoTotals]) -> None:
    era, root, _ = demo
    for name, recs in all_records(era, root):
        types = [r.get("customType", r["type"]) for r in recs[:4]]
        assert types == ["session", "model_change", "thinking_level_change", "model-snapshot"], name
        first_msg = next(r["message"] for r in recs if r["type"] == "message")
        assert first_msg["role"] == "user", name
        stamps = [r["timestamp"] for r in recs]
        assert stamps == sorted(stamps), name


def test_messages(demo: tuple[str, Path, DemoTotals]) -> None:
    era, root, _ = demo
    for name, recs in all_records(era, root):
        calls: dict[str, str] = {}
        for rec in recs:
            if rec["type"] != "message":
                continue
            msg = rec["message"]
            assert isinstance(msg["timestamp"], int), name
            assert msg["timestamp"] > 1_700_000_000_000, name
            assert msg["timestamp"] <= _ms(rec["timestamp"]), (name, rec["id"])  # written after it happened
            role = msg["role"]
            if role == "user":
                content = msg["content"]
                assert isinstance(content, str) if era == "sqlite" else content[0]["type"] == "text"
                if era == "sqlite":
                    assert "senderIsOwner" in msg["__openclaw"]
                    assert msg["idempotencyKey"].endswith(":user")
            elif role == "assistant":
                _assistant(msg, calls, era)
            elif role == "toolResult":
                assert msg["toolCallId"] in calls, (name, msg["toolCallId"])
                assert msg["toolName"] == calls.pop(msg["toolCallId"])
                assert isinstance(msg["isError"], bool)
                assert msg["content"][0]["type"] == "text"
            else:
                assert era == "sqlite"
                assert role == "custom"
                assert msg["customType"] == "openclaw.nested-tool.v1"
        assert not calls, (name, calls)


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _assistant(msg: dict[str, Any], calls: dict[str, str], era: str) -> None:
    u = msg["usage"]
    assert u["totalTokens"] == u["input"] + u["output"] + u["cacheRead"] + u["cacheWrite"]
    c = u["cost"]
    assert c["total"] == pytest.approx(c["input"] + c["output"] + c["cacheRead"] + c["cacheWrite"], rel=1e-12)
    if msg["stopReason"] == "injected" or msg.get("provider") == "openclaw":
        assert u["totalTokens"] == 0
        assert c["total"] == 0
        assert (
            ("provider" not in msg)
            if msg["stopReason"] == "injected"
            else msg["model"] in {"gateway-injected", "delivery-mirror"}
        )
        return
    prices = PRICES[f"{msg['provider']}/{msg['model']}"]
    for price, tokens, cost in zip(
        prices,
        ("input", "output", "cacheRead", "cacheWrite"),
        ("input", "output", "cacheRead", "cacheWrite"),
        strict=True,
    ):
        assert c[cost] == pytest.approx(price * u[tokens] / 1e6, rel=1e-12, abs=1e-15)
    if msg["stopReason"] == "error":
        assert msg["content"] == []
        assert u["totalTokens"] == 0
        assert re.match(r"^(\d{3} .+|fetch failed)$", msg["errorMessage"])
        return
    assert msg["stopReason"] in {"stop", "toolUse"}
    assert msg["api"]
    if era == "sqlite":
        assert msg["__openclaw"]["runId"]
    tool_calls = [b for b in msg["content"] if b["type"] == "toolCall"]
    assert bool(tool_calls) == (msg["stopReason"] == "toolUse")
    for block in tool_calls:
        assert isinstance(block["arguments"], dict)
        assert block["id"]
        calls[block["id"]] = block["name"]
        if era == "sqlite" and block["name"] == "tool_call":
            assert set(block["arguments"]) == {"id", "args"}


def test_tool_search_wrapper_is_the_real_9_6_shape(demo_sqlite: tuple[Path, DemoTotals]) -> None:
    import json

    root, _ = demo_sqlite
    wrapped = 0
    for _, recs in all_records("sqlite", root):
        msgs = [r["message"] for r in recs if r["type"] == "message"]
        for i, msg in enumerate(msgs):
            if msg["role"] != "toolResult" or msg["toolName"] != "tool_call":
                continue
            wrapped += 1
            nested = msgs[i - 1]
            assert nested["role"] == "custom"
            assert nested["details"]["parentToolCallId"] == msg["toolCallId"]
            body = json.loads(msg["content"][0]["text"])
            name = nested["details"]["toolName"]
            assert body["tool"] == {"id": f"openclaw:core:{name}", "name": name, "source": "openclaw"}
            assert msg["details"]["tool"]["name"] == name
            assert "result" in body
            assert nested["details"]["toolCallId"].startswith(f"tool_search_code:{msg['toolCallId']}:{name}:")
    assert wrapped > 10
