"""Expected figures follow OpenClaw's usage rules, computed from a fake-LLM log alone (unit tier)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conformance import scenarios as sc
from tests.conformance.expected import compute
from tests.conformance.occonfig import MODEL_A, MODEL_B, SECOND_AGENT
from tests.conformance.releases import release


def answered(
    scenario: str | None, model: str, prompt: int, cached: int, out: int, calls: Any = ()
) -> dict[str, Any]:
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": out,
        "prompt_tokens_details": {"cached_tokens": cached},
    }
    tool_calls = [{"id": f"c{i}", "name": n, "arguments": json.dumps(a)} for i, (n, a) in enumerate(calls)]
    return {
        "path": "/v1/chat/completions",
        "status": 200,
        "scenario": scenario,
        "model": model,
        "usage": usage,
        "response": {"toolCalls": tool_calls},
    }


def failed(scenario: str, retry: str, model: str = MODEL_A) -> dict[str, Any]:
    return {
        "path": "/v1/chat/completions",
        "status": 500,
        "retry": retry,
        "scenario": scenario,
        "model": model,
        "usage": None,
    }


def test_input_excludes_cached_tokens_and_cost_uses_the_models_price() -> None:
    exp = compute(
        [answered(sc.PLAIN, MODEL_A, 1000, 300, 50), answered(None, MODEL_B, 100, 0, 10)], release("2026.9.6")
    )
    a, b = exp.by_model[MODEL_A], exp.by_model[MODEL_B]
    assert (a.tokensIn, a.cacheRead, a.tokensOut, a.totalTokens) == (700, 300, 50, 1050)
    assert a.costUSD == pytest.approx((700 * 3.0 + 50 * 15.0 + 300 * 0.3) / 1e6)
    assert b.costUSD == pytest.approx((100 * 0.5 + 10 * 1.5) / 1e6)
    assert exp.totals.llmCalls == 2
    assert exp.totals.costUSD == pytest.approx(a.costUSD + b.costUSD)


@pytest.mark.parametrize(("version", "rows"), [("2026.3.24", 2), ("2026.7.35", 2), ("2026.9.6", 1)])
def test_failed_turn_error_rows_follow_the_release(version: str, rows: int) -> None:
    """Two SDK calls of three requests each: a row per call up to 2026.7.x, one per turn in 2026.9.x."""
    attempts = [failed(sc.FAIL_500, retry) for retry in ("0", "1", "2", "0", "1", "2")]
    exp = compute(attempts, release(version))
    assert (exp.totals.llmCalls, exp.totals.errors, exp.totals.tokensIn) == (rows, rows, 0)
    assert exp.attempts_500 == {sc.FAIL_500: 6}
    assert exp.by_agent[SECOND_AGENT].errors == rows


def test_tool_search_wrapper_counts_under_the_inner_tool() -> None:
    calls = [
        ("tool_call", {"id": "sessions_spawn", "args": {"task": "t"}}),
        ("read", {"path": sc.MISSING_PATH}),
        ("read", {"path": "/etc/hostname"}),
    ]
    exp = compute([answered(sc.SPAWN, MODEL_A, 10, 0, 1, calls)], release("2026.9.6"))
    assert {k: (v.toolCalls, v.toolErrors) for k, v in exp.tools.items()} == {
        "sessions_spawn": (1, 0),
        "read": (2, 1),
    }


def test_second_agent_scenario_counts_for_the_second_agent() -> None:
    exp = compute([answered(sc.SECOND_AGENT_TURN, MODEL_B, 10, 0, 1)], release("2026.7.35"))
    assert exp.by_agent[SECOND_AGENT].llmCalls == 1
    assert set(exp.by_agent) == {SECOND_AGENT}


def test_requests_that_are_not_chat_completions_are_ignored() -> None:
    exp = compute([{"path": "/v1/embeddings", "status": 404}], release("2026.9.6"))
    assert exp.totals.llmCalls == 0
