"""clawscope ingests exactly what the real OpenClaw wrote, in both storage eras.

Every expected number comes from the fake LLM's own log and the configured prices (`expected.py`), never
from clawscope or OpenClaw's files. Two databases are checked: the one the driver filled by ingesting
the live state dir three times while the gateway ran (incremental, WAL/JSONL being written), and one
filled by a single ingest after the gateway stopped; both must equal the expectation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conformance import scenarios as sc
from tests.conformance.expected import Totals
from tests.conformance.occonfig import MAIN_AGENT, MODEL_A, MODEL_B, PROVIDER, SECOND_AGENT
from tests.conformance.openclaw_store import transcript_entry_counts
from tests.conformance.runs import ReleaseRun

pytestmark = pytest.mark.conformance

INGESTED_KEYS = {"files", "sessions", "entries", "llmCalls", "toolCalls", "cronRuns", "subagentRuns"}
TOTALS_KEYS = {
    "sessions", "messages", "llmCalls", "toolCalls", "toolErrors", "tokensIn", "tokensOut", "cacheRead",
    "cacheWrite", "totalTokens", "costUSD", "estimatedCostUSD", "errors",
}  # fmt: skip
COST_TOLERANCE = {"rel": 1e-9, "abs": 1e-12}  # float sums in JS vs Python; any real error is far larger


def mismatches(got: dict[str, Any], exp: Totals) -> list[str]:
    """Fields of a stats totals/group object that differ from the expectation, readable."""
    out = []
    for field, want in exp.as_dict().items():
        have = got.get(field)
        same = have == pytest.approx(want, **COST_TOLERANCE) if field == "costUSD" else have == want
        if not same:
            out.append(f"{field}: expected {want!r}, clawscope says {have!r}")
    return out


def db_of(run: ReleaseRun, which: str) -> str:
    if which == "live":
        return run.live_db
    assert run.fresh_ingest.rc == 0, f"fresh ingest failed:\n{run.fresh_ingest.stderr[-3000:]}"
    return run.fresh_db


def live_ingest(run: ReleaseRun, label: str) -> dict[str, Any]:
    step = run.step(f"ingest-{label}")
    err = Path(step["stderr"]).read_text()[-3000:]
    assert step["rc"] == 0, f"live ingest '{label}' exited {step['rc']}:\n{err}"
    out = step["json"]
    assert isinstance(out, dict), f"live ingest '{label}' printed no JSON"
    return out


# -- ingest while the gateway runs -----------------------------------------------------------------
@pytest.mark.parametrize("label", ["first", "during-turn", "final"])
def test_live_ingest_succeeds_with_the_json_contract(oc_run: ReleaseRun, label: str) -> None:
    out = live_ingest(oc_run, label)
    assert set(out["ingested"]) == INGESTED_KEYS
    assert all(isinstance(v, int) and v >= 0 for v in out["ingested"].values())
    assert isinstance(out["problems"], int)


def test_ingest_during_a_turn_does_not_block_the_gateway(oc_run: ReleaseRun) -> None:
    live_ingest(oc_run, "during-turn")
    ingest, turn = oc_run.step("ingest-during-turn"), oc_run.step(sc.SPAWN)
    assert turn["startedAt"] < ingest["startedAt"] < turn["endedAt"], "the ingest did not overlap the turn"
    assert turn["rc"] == 0, "the turn written while clawscope ingested failed"
    later = [
        s for s in oc_run.result["steps"] if s.get("scenario") in {sc.CRON, sc.HTTP_API, sc.SECOND_AGENT_TURN}
    ]
    assert later, "no turns ran after the live ingests"
    assert all(s["rc"] == 0 for s in later), "the gateway misbehaved after the live ingests"


def live_ingested(run: ReleaseRun) -> list[dict[str, int]]:
    return [live_ingest(run, label)["ingested"] for label in ("first", "during-turn", "final")]


def test_live_ingests_count_each_model_and_tool_call_once(oc_run: ReleaseRun) -> None:
    """`ingested` counts what is new in each run: over three live ingests, everything exactly once."""
    runs = live_ingested(oc_run)
    assert sum(r["llmCalls"] for r in runs) == oc_run.expected.totals.llmCalls
    assert sum(r["toolCalls"] for r in runs) == oc_run.expected.tool_calls


def test_live_ingests_count_the_cron_run_and_the_subagent_run_once(oc_run: ReleaseRun) -> None:
    runs = live_ingested(oc_run)
    assert [r["cronRuns"] for r in runs] == [0, 0, 1], "one cron run, finished before the final ingest"
    assert sum(r["subagentRuns"] for r in runs) == 1, (
        f"one spawn; per ingest: {[r['subagentRuns'] for r in runs]}"
    )


def test_final_live_ingest_reports_no_problems(oc_run: ReleaseRun) -> None:
    assert live_ingest(oc_run, "final")["problems"] == 0


# -- totals ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["live", "fresh"])
def test_totals_equal_the_fake_llm_log(oc_run: ReleaseRun, which: str) -> None:
    stats = oc_run.stats(db_of(oc_run, which))
    assert set(stats["totals"]) >= TOTALS_KEYS
    assert stats["by"] is None
    totals = stats["totals"]
    wrong = mismatches(totals, oc_run.expected.totals)
    assert not wrong, "\n".join(wrong)
    assert (totals["toolCalls"], totals["toolErrors"]) == (
        oc_run.expected.tool_calls,
        oc_run.expected.tool_errors,
    )


@pytest.mark.parametrize("which", ["live", "fresh"])
def test_totals_by_model_use_each_models_price(oc_run: ReleaseRun, which: str) -> None:
    groups = {g["key"]: g for g in oc_run.stats(db_of(oc_run, which), by="model")["groups"]}
    assert set(groups) == {MODEL_A, MODEL_B}
    for model, exp in oc_run.expected.by_model.items():
        assert groups[model]["provider"] == PROVIDER
        wrong = mismatches(groups[model], exp)
        assert not wrong, f"model {model}:\n" + "\n".join(wrong)


def test_tool_calls_by_real_tool_name(oc_run: ReleaseRun) -> None:
    groups = {g["key"]: g for g in oc_run.stats(db_of(oc_run, "fresh"), by="tool")["groups"]}
    want = {name: (t.toolCalls, t.toolErrors) for name, t in oc_run.expected.tools.items()}
    got = {name: (g["toolCalls"], g["toolErrors"]) for name, g in groups.items()}
    assert got == want
    assert "tool_call" not in got, "the Tool Search wrapper was not unwrapped"


def test_totals_by_agent(oc_run: ReleaseRun) -> None:
    groups = {g["key"]: g for g in oc_run.stats(db_of(oc_run, "fresh"), by="agent")["groups"]}
    assert set(groups) == {MAIN_AGENT, SECOND_AGENT}
    for agent, exp in oc_run.expected.by_agent.items():
        wrong = mismatches(groups[agent], exp)
        assert not wrong, f"agent {agent}:\n" + "\n".join(wrong)


def test_reingest_adds_nothing(oc_run: ReleaseRun) -> None:
    from tests.conformance import clawscope_cli as cs

    db_of(oc_run, "fresh")
    again = cs.ingest(oc_run.paths.state, oc_run.fresh_db, oc_run.paths.run_dir).json()
    assert again["ingested"]["llmCalls"] == 0
    assert again["ingested"]["entries"] == 0


# -- sessions ----------------------------------------------------------------------------------------
def sessions_by_kind(run: ReleaseRun) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for s in run.sessions(db_of(run, "fresh")):
        out.setdefault(s["kind"], []).append(s)
    return out


def only(items: list[dict[str, Any]] | None, what: str) -> dict[str, Any]:
    assert items is not None, f"no {what} session"
    assert len(items) == 1, f"expected exactly one {what} session, got {items}"
    return items[0]


@pytest.mark.parametrize("which", ["live", "fresh"])
def test_every_transcript_entry_is_ingested_once(oc_run: ReleaseRun, which: str) -> None:
    """Second oracle: OpenClaw's own storage (JSONL lines, or SQLite rows incl. zstd-compressed ones)."""
    stored = transcript_entry_counts(oc_run.paths.state, oc_run.rel.era)
    got = {s["sessionId"]: s["entries"] for s in oc_run.sessions(db_of(oc_run, which))}
    assert got == stored


def test_subagent_session_links_to_its_parent(oc_run: ReleaseRun) -> None:
    kinds = sessions_by_kind(oc_run)
    child = only(kinds.get("subagent"), "subagent")
    parent = only([s for s in kinds.get("main", []) if s["agent"] == MAIN_AGENT], "main")
    assert child["parentKey"] == parent["key"] == sc.MAIN_SESSION_KEY
    assert child["parentSessionId"] == parent["sessionId"]
    assert child["spawnDepth"] == 1
    assert child["label"] == sc.CHILD_LABEL
    assert child["llmCalls"] == oc_run.expected.by_scenario[sc.SPAWN_CHILD].llmCalls


def test_cron_run_session(oc_run: ReleaseRun) -> None:
    kinds = sessions_by_kind(oc_run)
    cron = only(kinds.get("cron-run", []) + kinds.get("cron", []), "cron")
    assert cron["jobId"] == oc_run.result["cronJobId"]
    assert cron["trigger"] == "cron"
    exp = oc_run.expected.by_scenario[sc.CRON]
    assert (cron["llmCalls"], cron["toolCalls"]) == (exp.llmCalls, 1)
    assert cron["costUSD"] == pytest.approx(exp.costUSD, **COST_TOLERANCE)


def test_openai_api_session(oc_run: ReleaseRun) -> None:
    api = only(sessions_by_kind(oc_run).get("openai-api"), "openai-api")
    assert api["agent"] == MAIN_AGENT
    assert api["llmCalls"] == oc_run.expected.by_scenario[sc.HTTP_API].llmCalls


def test_second_agent_session(oc_run: ReleaseRun) -> None:
    key = f"agent:{SECOND_AGENT}:main"
    ops = only([s for s in oc_run.sessions(db_of(oc_run, "fresh")) if s["key"] == key], key)
    exp = oc_run.expected.by_scenario[sc.SECOND_AGENT_TURN]
    assert (ops["agent"], ops["kind"]) == (SECOND_AGENT, "main")
    assert (ops["llmCalls"], ops["errors"], ops["toolCalls"]) == (exp.llmCalls, 0, 1)
    assert ops["costUSD"] == pytest.approx(exp.costUSD, **COST_TOLERANCE)


def test_failed_turn_session_holds_the_error_rows(oc_run: ReleaseRun) -> None:
    key = sc.FAILURE_SESSION_KEY
    failed = only([s for s in oc_run.sessions(db_of(oc_run, "fresh")) if s["key"] == key], key)
    exp = oc_run.expected.by_scenario[sc.FAIL_500]
    assert exp.errors > 0
    assert failed["agent"] == SECOND_AGENT  # kind: clawscope reads a one-word rest as a custom mainKey
    assert (failed["llmCalls"], failed["errors"], failed["tokensIn"], failed["costUSD"]) == (
        exp.errors,
        exp.errors,
        0,
        0,
    )


def test_main_session_holds_the_rest(oc_run: ReleaseRun) -> None:
    """Every main-agent call not made by the child, the cron run or the OpenAI-API request."""
    main = only(
        [s for s in oc_run.sessions(db_of(oc_run, "fresh")) if s["key"] == sc.MAIN_SESSION_KEY], "main"
    )
    exp = oc_run.expected
    elsewhere = [exp.by_scenario[s] for s in (sc.SPAWN_CHILD, sc.CRON, sc.HTTP_API)]
    assert main["llmCalls"] == exp.by_agent[MAIN_AGENT].llmCalls - sum(t.llmCalls for t in elsewhere)
    assert main["errors"] == 0
    assert main["toolErrors"] == exp.tool_errors
