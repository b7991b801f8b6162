"""The rule action `abort_session` against the real OpenClaw gateway: a scripted turn that would run for
minutes (the fake LLM holds its second answer back) is aborted by a clawscope rule through the gateway's
`chat.abort`, and OpenClaw's transcript shows the turn ended (`abort_driver.py` runs it in a loopback-only
network namespace). Run with `-m conformance`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import clawscope_cli as cs
from tests.conformance import netns
from tests.conformance.abort_driver import RULE
from tests.conformance.layout import RunPaths
from tests.conformance.releases import installed, release
from tests.support.env import ROOT, require

pytestmark = pytest.mark.conformance
RELEASE = "2026.9.6"
TIMEOUT_S = 1200
# the gateway failing to start (seen under heavy load: "state lease heartbeat did not become ready"), or
# never answering: OpenClaw's, before clawscope does anything
OPENCLAW_START_FAULTS = ("gateway exited with", "gateway did not answer", "never reached the fake LLM")


def _step(result: dict[str, Any], name: str) -> dict[str, Any]:
    return [s for s in result["steps"] if s["name"] == name][-1]


def _messages(obj: Any) -> list[dict[str, Any]]:
    found = obj.get("messages") if isinstance(obj, dict) else None
    return [m for m in found or [] if isinstance(m, dict)]


@pytest.fixture(scope="module")
def run() -> tuple[RunPaths, dict[str, Any]]:
    rel = release(RELEASE)
    require(
        installed(rel), f"OpenClaw {RELEASE} / Node 24 not installed: scripts/setup-test-deps conformance"
    )
    why = netns.probe()
    require(why is None, f"no loopback-only network namespace: {why}")
    base = ROOT / "artifacts" / "conformance-abort"
    for attempt in (1, 2, 3):  # OpenClaw's own start-up faults under CPU starvation are retried
        run_dir = base / f"{rel.slug}.{attempt}"
        shutil.rmtree(run_dir, ignore_errors=True)
        paths = RunPaths(run_dir)
        paths.create()
        argv = [*netns.unshare_prefix(), sys.executable, "-m", "tests.conformance.abort_driver"]
        argv += ["--release", RELEASE, "--run-dir", str(run_dir), "--clawscope", cs.executable()]
        with (run_dir / "driver.out").open("wb") as out:
            subprocess.run(
                argv, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=out, stderr=subprocess.STDOUT,
                timeout=TIMEOUT_S, check=False,
            )  # fmt: skip
        result: dict[str, Any] = json.loads(paths.result.read_text())
        if not any(f in (result["aborted"] or "") for f in OPENCLAW_START_FAULTS):
            break
    assert result["aborted"] is None, (result["aborted"], (run_dir / "driver.out").read_text()[-3000:])
    return paths, result


def test_a_rule_aborts_the_running_turn_through_the_gateway(run: tuple[RunPaths, dict[str, Any]]) -> None:
    _paths, result = run
    assert result["fired"], "the rule never fired"
    assert result["turnReturned"]
    history = json.loads(Path(_step(result, "alerts-history")["stdout"]).read_text())
    (alert,) = [h for h in history if h["ruleId"] == RULE["id"] and h["kind"] == "firing"]
    (action,) = [d for d in alert["deliveries"] if d["channelId"] == "action:chat.abort"]
    assert action["status"] == "sent", action
    assert alert["detail"]["key"] == "agent:main:main"
    # OpenClaw's own account of the turn: ended by an RPC abort, not by the model's answer
    turn = _step(result, "abort-me")["json"]
    assert (turn["summary"], turn["stopReason"]) == ("aborted", "rpc"), turn
    chat = json.loads(Path(_step(result, "chat-history")["stdout"]).read_text())
    messages = _messages(chat)
    assert [m.get("role") for m in messages] == ["user", "assistant", "toolResult"]  # the tool ran
    assert "finished" not in json.dumps(messages)  # the held-back answer (due after 15 min) never came
