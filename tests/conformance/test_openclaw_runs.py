"""What the real OpenClaw did in each run: the precondition for every ingest assertion.

These tests check the runs themselves (isolation, each scenario happened as designed, OpenClaw's own
storage holds what the scenario is meant to exercise), so that a clawscope failure in the ingest tests
can never be a scenario that silently did not happen.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import zstandard

from tests.conformance import scenarios as sc
from tests.conformance.releases import RELEASES, Era
from tests.conformance.runs import ReleaseRun

pytestmark = pytest.mark.conformance
SQLITE_ERA = [r.version for r in RELEASES if r.era is Era.SQLITE]

SCENARIO_STEPS = [
    sc.PLAIN,
    sc.EXEC,
    sc.READ_MISSING,
    sc.LARGE_OUTPUT,
    sc.SPAWN,
    sc.HTTP_API,
    sc.SECOND_AGENT_TURN,
    sc.MODEL_OVERRIDE,
]


def test_driver_finished(oc_run: ReleaseRun) -> None:
    assert oc_run.result["aborted"] is None, oc_run.result["aborted"]


def test_runs_in_a_loopback_only_namespace(oc_run: ReleaseRun) -> None:
    assert oc_run.result["links"] == ["lo"]


def test_installed_release_is_the_pinned_one(oc_run: ReleaseRun) -> None:
    out = Path(oc_run.step("version")["stdout"]).read_text()
    assert oc_run.rel.version in out


@pytest.mark.parametrize("scenario", SCENARIO_STEPS)
def test_scenario_step_outcome(oc_run: ReleaseRun, scenario: str) -> None:
    step = oc_run.step(scenario)
    ok = step["rc"] == 0
    assert ok == step["expectOk"], f"{scenario}: rc={step['rc']}\n{Path(step['stderr']).read_text()[-2000:]}"


@pytest.mark.parametrize("scenario", [*SCENARIO_STEPS, sc.FAIL_500, sc.SPAWN_CHILD, sc.CRON])
def test_scenario_reached_the_model(oc_run: ReleaseRun, scenario: str) -> None:
    seen = [r for r in oc_run.records if r.get("scenario") == scenario]
    assert seen, f"the fake LLM never saw scenario {scenario!r}"
    unoffered = sorted({t for r in seen for t in r.get("unoffered") or []})
    assert not unoffered, f"OpenClaw did not offer tool(s) {unoffered} in scenario {scenario!r}"


def test_every_model_call_is_attributed(oc_run: ReleaseRun) -> None:
    """No model call OpenClaw made on its own (titles, heartbeats, memory): all came from a scenario."""
    unmarked = [r for r in oc_run.records if r.get("scenario") is None]
    assert not unmarked, [(r["seq"], r.get("model"), r.get("response")) for r in unmarked]


def test_upstream_500_was_retried(oc_run: ReleaseRun) -> None:
    attempts = oc_run.expected.attempts_500
    assert set(attempts) == {sc.FAIL_500}
    assert attempts[sc.FAIL_500] >= 2, "OpenClaw did not retry the HTTP 500"


def test_large_output_reached_the_model(oc_run: ReleaseRun) -> None:
    follow_ups = [r for r in oc_run.records if r.get("scenario") == sc.LARGE_OUTPUT and r.get("toolResults")]
    assert follow_ups, "no request carried the large tool result back"
    assert follow_ups[0]["toolResults"][0]["content"].startswith("1\n2\n3")


def test_cron_job_ran(oc_run: ReleaseRun) -> None:
    assert oc_run.result.get("cronJobId"), "cron add returned no job id"
    entries = (oc_run.step("cron-runs")["json"] or {}).get("entries") or []
    assert [e.get("status") for e in entries] == ["ok"]


def test_http_api_answered(oc_run: ReleaseRun) -> None:
    body = json.loads(Path(oc_run.step(sc.HTTP_API)["stdout"]).read_text())
    assert body["object"] == "chat.completion"
    assert "Hello from the fake model" in body["choices"][0]["message"]["content"]


@pytest.mark.parametrize("oc_run", SQLITE_ERA, indirect=True)
def test_sqlite_era_stores_the_large_output_compressed(oc_run: ReleaseRun) -> None:
    db = oc_run.paths.state / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT event_zstd FROM transcript_events WHERE event_zstd IS NOT NULL"
        ).fetchall()
    # Streaming decompression: a frame need not declare its content size.
    events = [json.loads(zstandard.ZstdDecompressor().decompressobj().decompress(blob)) for (blob,) in rows]
    big = [e for e in events if e.get("message", {}).get("role") == "toolResult"]
    assert big, f"no zstd-compressed toolResult row in {db}"
    text = big[0]["message"]["content"][0]["text"]
    assert len(text.encode()) >= 5000
