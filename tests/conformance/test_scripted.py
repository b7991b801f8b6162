"""Scripted turns of the fake LLM and the fake web (unit tier: pure functions and real loopback servers)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance import scripted
from tests.conformance.fakellm import FakeLLMServer, read_log
from tests.conformance.fakeweb import FakeWebServer
from tests.conformance.scripted import Step, position, step_at, write_script


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str = "", calls: int = 0) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        msg["tool_calls"] = [{"id": f"c{i}", "type": "function"} for i in range(calls)]
    return msg


def test_position_counts_answered_steps_since_the_tagged_message() -> None:
    msgs = [user("hi [[script:a]]"), assistant(calls=1), {"role": "tool", "content": "out"}]
    assert position(msgs) == scripted.Position("a", 1)
    # OpenClaw drops the announce from history and merges the reply with the next call: two steps
    msgs += [assistant("Started.", calls=1), {"role": "tool", "content": "x"}]
    assert position(msgs) == scripted.Position("a", 3)


def test_openclaw_notices_never_lend_their_quoted_tags() -> None:
    base = [user("[Sun 2026-12-06 20:02 UTC] go [[script:parent]]"), assistant("Delegated.")]
    announce = user("A background task completed.\nsource: subagent\ntask: Check it. [[script:child]]")
    note = user(
        "[Subagent Context] Every subagent spawned from this session has now settled: [[script:child]]"
    )
    internal = user("<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\n[[script:child]]")
    for extra in (announce, note, internal):
        assert position([*base, extra]) == scripted.Position("parent", 1)
    task = user(
        "[Subagent Context] You are running as a subagent (depth 2/5).\n[Subagent Task]\nDo it [[script:kid]]"
    )
    assert position([task]) == scripted.Position("kid", 0)
    assert position([user("no tag here")]) is None


def test_step_past_the_end_repeats_a_reply_or_says_done() -> None:
    steps = [Step(calls=[("exec", {})]), Step(say="bye")]
    assert step_at(steps, 5).say == "bye"
    assert step_at([Step(calls=[("exec", {})])], 3).say == scripted.DONE_TEXT


def test_plan_wraps_deferred_tools_forces_or_reports_unoffered() -> None:
    wrapped = scripted.plan(Step(calls=[("sessions_spawn", {"task": "t"})]), {"exec", "tool_call"})
    assert wrapped.tool_calls[0]["name"] == "tool_call"
    assert json.loads(wrapped.tool_calls[0]["arguments"]) == {"id": "sessions_spawn", "args": {"task": "t"}}
    missing = scripted.plan(Step(calls=[("exec", {})]), {"read"})
    assert missing.tool_calls == [] and missing.unoffered == ["exec"]
    forced = scripted.plan(Step(calls=[("exec", {"command": "ls"})], force=True), {"read"})
    assert forced.tool_calls[0]["name"] == "exec"
    summariser = scripted.plan(Step(calls=[("exec", {})]), set())  # OpenClaw's compaction offers no tools
    assert summariser.text == scripted.SUMMARY_TEXT and not summariser.tool_calls


@pytest.fixture
def llm(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    scripts = tmp_path / "scripts"
    server = FakeLLMServer(0, tmp_path / "llm.jsonl", ("small",), scripts=scripts, windows={"small": 100})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", tmp_path / "llm.jsonl", scripts
    server.shutdown()
    server.server_close()


def chat(base: str, messages: list[dict[str, Any]], model: str = "fake-a") -> httpx.Response:
    tools = [{"type": "function", "function": {"name": "exec", "parameters": {}}}]
    body = {"model": model, "messages": messages, "stream": False, "tools": tools}
    return httpx.post(f"{base}/chat/completions", json=body, timeout=10)


def test_fake_llm_plays_a_script_and_logs_it(llm: tuple[str, Path, Path]) -> None:
    base, log, scripts = llm
    write_script(scripts, "s1", [Step(calls=[("exec", {"command": "ls"})]), Step(fail=503, error="busy")])
    first = chat(base, [user("go [[script:s1]]")]).json()["choices"][0]["message"]
    assert json.loads(first["tool_calls"][0]["function"]["arguments"]) == {"command": "ls"}
    second = chat(base, [user("go [[script:s1]]"), assistant(calls=1), {"role": "tool", "content": "x"}])
    assert second.status_code == 503 and second.json()["error"]["message"] == "busy"
    records = read_log(log)
    assert [(r["script"], r["step"], r["status"]) for r in records] == [("s1", 0, 200), ("s1", 1, 503)]
    missing = chat(base, [user("go [[script:nope]]")])
    assert missing.status_code == 500 and "bad script" in read_log(log)[-1]["error"]


def test_fake_llm_rejects_prompts_over_the_window(llm: tuple[str, Path, Path]) -> None:
    base, _, scripts = llm
    write_script(scripts, "big", [Step(say="ok")])
    assert chat(base, [user("short [[script:big]]")], model="small").status_code == 200
    resp = chat(base, [user("x" * 2000 + " [[script:big]]")], model="small")
    assert (
        resp.status_code == 400 and "maximum context length is 100 tokens" in resp.json()["error"]["message"]
    )


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    pages = {
        "http://news.example.com/a": {"type": "text/html", "body": "<p>hello</p>"},
        "http://flaky.example.com/x": {
            "sequence": [{"status": 503, "body": "busy"}, {"status": 200, "body": "ok"}]
        },
    }
    server = FakeWebServer(0, pages, tmp_path / "web.jsonl")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1], tmp_path / "web.jsonl"
    server.shutdown()
    server.server_close()


def test_fake_web_serves_as_a_proxy_and_records_uploads(web: tuple[int, Path]) -> None:
    port, log = web
    proxy = f"http://127.0.0.1:{port}"
    with httpx.Client(proxy=proxy, timeout=10) as client:
        assert client.get("http://news.example.com/a").text == "<p>hello</p>"
        assert [client.get("http://flaky.example.com/x").status_code for _ in range(3)] == [503, 200, 200]
        assert client.post("http://paste.example.net/up", content=b"secret-bytes").json() == {"ok": True}
        assert client.get("http://unknown.example.org/").status_code == 404
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert {
        "method": "POST",
        "url": "http://paste.example.net/up",
        "body": "secret-bytes",
    }.items() <= records[-2].items()


def test_fake_web_tunnels_plain_http_and_refuses_tls(web: tuple[int, Path]) -> None:
    port, _ = web
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"CONNECT news.example.com:80 HTTP/1.1\r\nHost: news.example.com:80\r\n\r\n")
        s.sendall(b"GET /a HTTP/1.1\r\nHost: news.example.com\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 Connection Established") and data.endswith(b"<p>hello</p>")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"CONNECT news.example.com:443 HTTP/1.1\r\nHost: news.example.com:443\r\n\r\n")
        refused = b""
        while chunk := s.recv(4096):
            refused += chunk
        assert refused.startswith(b"HTTP/1.1 403")
