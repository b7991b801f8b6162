"""The OpenClaw plugin (integrations/openclaw-plugin) loaded by Node with a stand-in plugin API:
its signed envelopes are accepted by a real clawscope server and reach the live stream."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from clawscope.config import Settings
from clawscope.store import Store
from tests.support.env import ROOT
from tests.support.server import LiveServer, auth
from tests.support.sse import SseReader

PLUGIN = ROOT / "integrations" / "openclaw-plugin"
SECRET = "plugin-secret"

# Node driver: registers the plugin against a stand-in `api`, fires the hooks like the gateway does
# (`handler(event, ctx)`), waits for delivery, prints what each hook registration was.
DRIVER = """
const url = process.argv[2];
const { default: plugin, HOOKS } = await import(process.argv[3]);
const handlers = {};
const warnings = [];
const api = {
  pluginConfig: { url, secret: process.argv[4] },
  logger: { warn: (m) => warnings.push(m), info: () => {} },
  on: (name, fn) => { handlers[name] = fn; },
};
plugin.register(api);
const ctx = { agentId: "main", sessionKey: "agent:main:main", sessionId: "sess-p", runId: "run-p",
              toolName: "exec", requester: { big: "object" } };
handlers.after_tool_call({ toolName: "exec", params: { command: "echo hi" }, runId: "run-p",
                           toolCallId: "call_p", result: { content: [] }, durationMs: 17 }, ctx);
handlers.llm_output({ runId: "run-p", sessionId: "sess-p", provider: "fake", model: "fake-model",
                      assistantTexts: ["hi"], usage: { input: 10, output: 2, total: 12 } }, ctx);
handlers.agent_end({ runId: "run-p", messages: [{ role: "user", content: "secret" }], success: true }, ctx);
await plugin.flush();
console.log(JSON.stringify({ hooks: Object.keys(handlers).sort(), expected: HOOKS, warnings }));
"""


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db=db_url, home=tmp_path / "home", instance="plugin-host", events_secret=SECRET)


def run_driver(tmp_path: Path, url: str, secret: str) -> dict[str, object]:
    node = shutil.which("node")
    assert node, "Node.js is needed for the plugin test"
    driver = tmp_path / "driver.mjs"
    driver.write_text(DRIVER)
    out = subprocess.run(
        [node, str(driver), url, (PLUGIN / "index.js").as_uri(), secret],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_manifest_and_package() -> None:
    manifest = json.loads((PLUGIN / "openclaw.plugin.json").read_text())
    package = json.loads((PLUGIN / "package.json").read_text())
    assert manifest["id"] == "clawscope"
    assert manifest["configSchema"]["type"] == "object"
    assert package["openclaw"]["extensions"] == ["./index.js"]


def test_the_plugin_forwards_hooks(
    live_server: LiveServer, store: Store, tmp_path: Path, make_key: Callable[..., str]
) -> None:
    with SseReader(live_server.url + "/api/v1/openclaw/stream", auth(make_key("stats:read"))) as sse:
        result = run_driver(tmp_path, live_server.url, SECRET)
        got = sse.take(2)
    assert result["warnings"] == []
    assert set(result["expected"]) <= set(result["hooks"])  # type: ignore[arg-type]
    by_type = {e.event: e.data for e in got}
    assert by_type["tool.call"]["data"]["name"] == "exec"
    assert by_type["tool.call"]["data"]["callId"] == "call_p"
    assert by_type["tool.call"]["sessionId"] == "sess-p" and by_type["tool.call"]["agent"] == "main"
    assert by_type["llm.call"]["data"]["tokensIn"] == 10
    names = sorted(o["name"] for o in store.observations.query(source="hook"))
    assert names == ["after_tool_call", "agent_end", "llm_output"]
    [end] = store.observations.query(source="hook", category="run")
    assert "messages" not in end["payload"]  # the transcript has them; the plugin does not resend them
    assert end["payload"]["context"] == {
        "agentId": "main",
        "sessionKey": "agent:main:main",
        "sessionId": "sess-p",
        "runId": "run-p",
    }


def test_a_wrong_secret_is_refused_and_reported_once(
    live_server: LiveServer, store: Store, tmp_path: Path
) -> None:
    result = run_driver(tmp_path, live_server.url, "wrong")
    warnings = result["warnings"]
    assert isinstance(warnings, list) and len(warnings) == 1 and "HTTP 401" in warnings[0]
    assert store.observations.query(source="hook") == []
