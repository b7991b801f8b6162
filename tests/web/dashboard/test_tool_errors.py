"""A failing tool reads as "<tool> failed" with its own error text on the replay and the Tools page, also
when it ran inside the Tool Search wrapper (`tool_call`, whose result is JSON naming the inner tool) and
when only `details.status` says it failed (both backends)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.web import create_app
from clawscope.web.dashboard import replay
from tests.support.builders import assistant, state_dir, tool_call, tool_result, user, write_session

LOCAL = "http://127.0.0.1"
SID = "70000000-0000-4000-8000-000000000000"
FETCH_ERROR = "Web fetch failed (404): https://example.org/missing"


def wrapped_failure(call_id: str) -> dict[str, Any]:
    """The wrapper's result of a failing web_fetch, as OpenClaw's Tool Search writes it."""
    inner = {
        "content": [{"type": "text", "text": FETCH_ERROR}],
        "details": {"status": "error", "error": FETCH_ERROR},
    }
    tool = {"id": "openclaw:core:web_fetch", "name": "web_fetch", "source": "openclaw"}
    record = tool_result(call_id, "tool_call", error=True, ts="2026-11-01T10:00:04.000Z")
    record["message"]["content"] = [
        {"type": "text", "text": json.dumps({"tool": tool, "result": inner}, indent=2)}
    ]
    record["message"]["details"] = {"tool": tool, "result": inner}
    return record


def status_only_failure(call_id: str) -> dict[str, Any]:
    record = tool_result(call_id, "read", error=False, ts="2026-11-01T10:00:06.000Z")
    record["message"]["content"] = [{"type": "text", "text": "ENOENT: no such file or directory"}]
    record["message"]["details"] = {"status": "error", "error": "ENOENT: no such file or directory"}
    return record


def records() -> list[dict[str, Any]]:
    return [
        user("fetch it"),
        assistant(tools=[tool_call("c1", "tool_call", id="openclaw:core:web_fetch", args={"url": "x"})]),
        wrapped_failure("c1"),
        assistant(tools=[tool_call("c2", "read", path="NOTES.md")], ts="2026-11-01T10:00:05.000Z"),
        status_only_failure("c2"),
        assistant(ts="2026-11-01T10:00:07.000Z"),
    ]


def test_the_replay_unwraps_and_flags_failures() -> None:
    raw = [(i, json.dumps(r).encode()) for i, r in enumerate(records())]
    items = [
        it for it in replay.timeline(raw, {}) if it["kind"].startswith("tool-") and it["kind"] != "tool-call"
    ]
    assert [(it["kind"], it["tool"], it["text"]) for it in items] == [
        ("tool-error", "web_fetch", FETCH_ERROR),
        ("tool-error", "read", "ENOENT: no such file or directory"),
    ]
    assert replay.unwrapped("exec", "{not json") == ("exec", "{not json", False)
    assert replay.unwrapped("exec", '{"tool": 1}') == ("exec", '{"tool": 1}', False)


def test_pages_show_the_tools_own_error(settings: Settings, store: Store, tmp_path: Path) -> None:
    write_session(state_dir(tmp_path / "state"), SID, records())
    ingest(store, [tmp_path / "state"], instance="t", estimate=False)
    with TestClient(create_app(replace(settings, no_auth=True), store=store), base_url=LOCAL) as client:
        html = unescape(client.get(f"/sessions/{SID}").text)
        assert re.search(r'<span class="kind">web_fetch failed</span>', html)
        assert FETCH_ERROR in html and '"source": "openclaw"' not in html  # not the wrapper's JSON
        assert re.search(r'<span class="kind">read failed</span>', html)
        tools = unescape(client.get("/tools").text)
        failing = tools[tools.index("<h2>Failing calls") :]
        assert f"<summary>{FETCH_ERROR}</summary>" in failing
        assert "openclaw:core" not in failing
