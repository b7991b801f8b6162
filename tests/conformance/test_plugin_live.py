"""The clawscope plugin inside the real OpenClaw gateway (2026.9.6): tool calls reach clawscope's
stream while the agent turn runs. One release, its own network namespace (`plugin_live.py`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance import netns
from tests.conformance.releases import installed, release
from tests.support.env import ROOT, require

pytestmark = pytest.mark.conformance
VERSION = "2026.9.6"


def test_plugin_forwards_tool_calls_live(tmp_path: Path) -> None:
    require(installed(release(VERSION)), f"OpenClaw {VERSION}: run `scripts/setup-test-deps conformance`")
    why = netns.probe()
    require(why is None, f"no loopback-only network namespace: {why}")
    argv = [
        *netns.unshare_prefix(),
        sys.executable,
        "-m",
        "tests.conformance.plugin_live",
        str(tmp_path),
        VERSION,
    ]
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'src'}", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = tmp_path / "plugin-live.json"
    assert out.exists(), proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["steps"]["install"]["rc"] == 0, result["steps"]["install"]
    assert result["steps"]["agent"]["rc"] == 0, result["steps"]["agent"]
    tools = [e for e in result["events"] if e["type"] == "tool.call"]
    assert [
        (e["data"]["data"]["name"], e["data"]["data"]["status"], e["data"]["data"]["source"]) for e in tools
    ] == [("exec", "ok", "hook")]
    tool = tools[0]
    assert tool["data"]["agent"] == "main" and tool["data"]["sessionId"]
    assert tool["data"]["data"]["callId"]
    assert tool["at"] <= result["steps"]["agent"]["seconds"]  # live: before the turn was over
    llm = [e for e in result["events"] if e["type"] == "llm.call"]
    assert llm and llm[0]["data"]["data"]["model"] == "fake-a"
    names = {o["name"] for o in result["observations"]}
    assert {"after_tool_call", "llm_output"} <= names
