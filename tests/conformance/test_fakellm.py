"""The fake LLM speaks OpenAI's streaming chat-completions protocol and logs exactly what it returned.

Unit tier (no OpenClaw): a real server on an ephemeral loopback port, real HTTP requests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance.fakellm import FakeLLMServer, read_log

TOOLS = [
    {"type": "function", "function": {"name": n, "parameters": {}}} for n in ("exec", "read", "tool_call")
]


@pytest.fixture
def llm(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "llm.jsonl"
    server = FakeLLMServer(0, log, ("fake-a", "fake-b"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", log
    server.shutdown()
    server.server_close()


def chat(
    base: str, messages: list[dict[str, Any]], stream: bool = True, model: str = "fake-a"
) -> httpx.Response:
    body = {"model": model, "messages": messages, "stream": stream, "tools": TOOLS}
    return httpx.post(f"{base}/chat/completions", json=body, timeout=10)


def sse(resp: httpx.Response) -> list[Any]:
    events = [line[len("data: ") :] for line in resp.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def deltas(chunks: list[Any], key: str) -> list[Any]:
    return [c["choices"][0]["delta"][key] for c in chunks if c["choices"] and key in c["choices"][0]["delta"]]


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def test_plain_streamed_reply_with_cached_usage_logged_exactly(llm: tuple[str, Path]) -> None:
    base, log = llm
    resp = chat(base, [{"role": "system", "content": "x" * 400}, user("[[scenario:plain]] hi")])
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/event-stream"
    chunks = sse(resp)
    text = "".join(deltas(chunks, "content"))
    assert text.startswith("Hello from the fake model. You said:")
    assert "[[scenario" not in text
    usage = chunks[-1]["usage"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == usage["prompt_tokens"] // 3 > 0
    [rec] = read_log(log)
    assert (rec["status"], rec["scenario"], rec["model"], rec["usage"]) == (200, "plain", "fake-a", usage)


def test_tool_directive_becomes_a_tool_call(llm: tuple[str, Path]) -> None:
    base, log = llm
    args = {"id": "sessions_spawn", "args": {"task": "[[scenario:child]] hi", "label": "c"}}
    chunks = sse(chat(base, [user("[[scenario:spawn]] go [[tool:tool_call " + json.dumps(args) + "]]")]))
    calls = deltas(chunks, "tool_calls")
    assert calls[0][0]["function"]["name"] == "tool_call"
    assert json.loads(calls[1][0]["function"]["arguments"]) == args
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    [rec] = read_log(log)
    assert rec["scenario"] == "spawn"
    assert [c["name"] for c in rec["response"]["toolCalls"]] == ["tool_call"]


def test_tool_not_offered_is_not_called(llm: tuple[str, Path]) -> None:
    base, log = llm
    chunks = sse(chat(base, [user('[[tool:browser {"url": "x"}]]')]))
    assert deltas(chunks, "tool_calls") == []
    assert "browser not offered" in "".join(deltas(chunks, "content"))
    assert read_log(log)[0]["unoffered"] == ["browser"]


def test_fail500_fails_every_attempt_and_is_logged(llm: tuple[str, Path]) -> None:
    base, log = llm
    for _ in range(2):
        assert chat(base, [user("[[scenario:boom]] [[fail500]]")]).status_code == 500
    assert [(r["status"], r["usage"]) for r in read_log(log)] == [(500, None), (500, None)]


def test_stale_failed_message_does_not_poison_the_next_turn(llm: tuple[str, Path]) -> None:
    base, log = llm
    resp = chat(base, [user("[[scenario:boom]] [[fail500]]"), user("[[scenario:next]] hello")])
    assert resp.status_code == 200
    assert read_log(log)[0]["scenario"] == "next"


def test_attribution_ignores_internal_context_and_honours_session_markers(llm: tuple[str, Path]) -> None:
    base, log = llm
    internal = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\ntask_json=[[scenario:other]] [[tool:exec {}]]"
    chat(base, [user("[[scenario:turn]] hi"), user(internal)])
    chat(base, [user("[Subagent Task] [[session:child]] do it"), user("[[scenario:x]] more")])
    announce = [user("[[scenario:spawn]] go"), {"role": "assistant", "content": "ok"}, user("task done")]
    chat(base, announce)
    assert [r["scenario"] for r in read_log(log)] == ["turn", "child", "spawn"]
    assert read_log(log)[0]["response"]["toolCalls"] == []


def test_slow_directive_delays_every_answer_of_the_turn(llm: tuple[str, Path]) -> None:
    base, log = llm
    follow_up = [
        user("[[scenario:s]] [[slow:0.2]] [[tool:exec {}]]"),
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function"}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    assert chat(base, follow_up).status_code == 200
    assert "slow" not in "".join(deltas(sse(chat(base, [user("[[slow:0]] hi")])), "content"))
    assert [r["delayS"] for r in read_log(log)] == [0.2, 0.0]


def test_think_streams_reasoning_first(llm: tuple[str, Path]) -> None:
    chunks = sse(chat(llm[0], [user("[[think]] why?")]))
    assert "".join(deltas(chunks, "reasoning_content")).startswith("The user asked")


def test_tool_result_gets_a_text_answer_and_is_logged(llm: tuple[str, Path]) -> None:
    base, log = llm
    messages = [
        user("[[scenario:exec]] [[tool:exec {}]]"),
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function"}]},
        {"role": "tool", "tool_call_id": "c1", "content": "out [[tool:read {}]]"},
    ]
    chunks = sse(chat(base, messages, model="fake-b"))
    assert "".join(deltas(chunks, "content")) == "Done. Tool said: out "
    [rec] = read_log(log)
    assert rec["scenario"] == "exec"
    assert rec["toolResults"] == [{"toolCallId": "c1", "content": "out [[tool:read {}]]"}]


def test_non_streaming_completion(llm: tuple[str, Path]) -> None:
    body = chat(llm[0], [user('[[tool:read {"path": "/x"}]]')], stream=False).json()
    assert body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "read"
    assert body["usage"]["completion_tokens"] > 0


def test_models_endpoint_lists_configured_models(llm: tuple[str, Path]) -> None:
    ids = [m["id"] for m in httpx.get(f"{llm[0]}/models", timeout=10).json()["data"]]
    assert ids == ["fake-a", "fake-b"]
