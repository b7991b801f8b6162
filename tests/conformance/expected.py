"""Expected figures for a run, computed only from the fake LLM's log and the configured prices.

Never from clawscope and never from OpenClaw's files: the fake LLM logged every request with the exact
usage it returned, so the truth is known independently. The rules that map the log onto what OpenClaw
records (each observed on the real releases) are:

* every answered request (HTTP 200) is one model call, i.e. one assistant row, with OpenClaw's
  `openai-completions` usage mapping `input = prompt_tokens − cached_tokens`, `cacheRead = cached_tokens`,
  `output = completion_tokens`, `cacheWrite = 0`;
* cost per call = tokens × configured USD-per-million prices, summed per component;
* a turn that fails upstream on every attempt leaves error rows (zero usage, `stopReason:"error"`), which
  count as model calls and as errors: one per model call the OpenAI SDK gave up on in 2026.3.24/7.35 (a
  request with `x-stainless-retry-count: 0` starts a call; its SDK retries do not add rows), one for the
  whole turn in 2026.9.x however often OpenClaw itself retried (`ErrorRows`);
* a tool call is counted under its real name (the Tool Search wrapper `tool_call` under its inner `id`);
  the read of `MISSING_PATH` is the one call designed to fail.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.conformance import scenarios as sc
from tests.conformance.occonfig import MAIN_AGENT, PRICES, SECOND_AGENT
from tests.conformance.releases import ErrorRows, Release

CHAT_PATH_SUFFIX = "/chat/completions"
TOOL_SEARCH_WRAPPER = "tool_call"


@dataclass
class Totals:
    """Model-call figures, named like the fields of `clawscope stats --json` totals."""

    llmCalls: int = 0  # noqa: N815 - mirrors the JSON contract
    tokensIn: int = 0  # noqa: N815
    tokensOut: int = 0  # noqa: N815
    cacheRead: int = 0  # noqa: N815
    cacheWrite: int = 0  # noqa: N815
    costUSD: float = 0.0  # noqa: N815
    errors: int = 0

    @property
    def totalTokens(self) -> int:  # noqa: N802
        return self.tokensIn + self.tokensOut + self.cacheRead + self.cacheWrite

    def add_call(self, model: str, usage: dict[str, Any]) -> None:
        cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        tokens_in = int(usage["prompt_tokens"]) - cached
        tokens_out = int(usage["completion_tokens"])
        price = PRICES[model]
        self.llmCalls += 1
        self.tokensIn += tokens_in
        self.tokensOut += tokens_out
        self.cacheRead += cached
        self.costUSD += (
            tokens_in * price.input + tokens_out * price.output + cached * price.cache_read
        ) / 1e6

    def add_error_rows(self, rows: int) -> None:
        self.llmCalls += rows
        self.errors += rows

    def as_dict(self) -> dict[str, int | float]:
        return {
            "llmCalls": self.llmCalls,
            "tokensIn": self.tokensIn,
            "tokensOut": self.tokensOut,
            "cacheRead": self.cacheRead,
            "cacheWrite": self.cacheWrite,
            "totalTokens": self.totalTokens,
            "costUSD": self.costUSD,
            "errors": self.errors,
        }


@dataclass
class ToolTally:
    toolCalls: int = 0  # noqa: N815
    toolErrors: int = 0  # noqa: N815


@dataclass
class Expected:
    totals: Totals = field(default_factory=Totals)
    by_model: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    by_agent: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    by_scenario: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    tools: dict[str, ToolTally] = field(default_factory=lambda: defaultdict(ToolTally))
    attempts_500: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def tool_calls(self) -> int:
        return sum(t.toolCalls for t in self.tools.values())

    @property
    def tool_errors(self) -> int:
        return sum(t.toolErrors for t in self.tools.values())


def agent_of(scenario: str | None) -> str:
    return SECOND_AGENT if scenario in {sc.SECOND_AGENT_TURN, sc.FAIL_500} else MAIN_AGENT


def real_tool(call: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(real tool name, its arguments) of a tool call the fake LLM emitted, unwrapping Tool Search."""
    args = json.loads(call["arguments"] or "{}")
    if call["name"] == TOOL_SEARCH_WRAPPER:
        return str(args.get("id")), dict(args.get("args") or {})
    return str(call["name"]), args


def designed_to_fail(tool: str, args: dict[str, Any]) -> bool:
    return tool == "read" and args.get("path") == sc.MISSING_PATH


def compute(records: list[dict[str, Any]], rel: Release) -> Expected:
    """Expected figures for one run from its fake-LLM log."""
    exp = Expected()
    failed_model: dict[str, str] = {}
    failed_calls: dict[str, int] = defaultdict(int)
    for rec in records:
        if not str(rec.get("path", "")).endswith(CHAT_PATH_SUFFIX):
            continue
        scenario, model = rec.get("scenario"), str(rec.get("model"))
        if rec.get("status") == 500:
            exp.attempts_500[str(scenario)] += 1
            failed_calls[str(scenario)] += int(rec.get("retry") in (None, "0"))
            failed_model[str(scenario)] = model
            continue
        if rec.get("status") != 200:
            continue
        for totals in _buckets(exp, model, scenario):
            totals.add_call(model, rec["usage"])
        for call in (rec.get("response") or {}).get("toolCalls", []):
            name, args = real_tool(call)
            exp.tools[name].toolCalls += 1
            exp.tools[name].toolErrors += int(designed_to_fail(name, args))
    for scenario, calls in failed_calls.items():
        rows = calls if rel.error_rows is ErrorRows.PER_CALL else 1
        for totals in _buckets(exp, failed_model[scenario], scenario):
            totals.add_error_rows(rows)
    return exp


def _buckets(exp: Expected, model: str, scenario: str | None) -> list[Totals]:
    return [exp.totals, exp.by_model[model], exp.by_agent[agent_of(scenario)], exp.by_scenario[str(scenario)]]
