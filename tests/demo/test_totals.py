"""DemoTotals: the generator's own counts equal an independent re-count of the files it wrote."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from clawscope.demo import DemoTotals
from clawscope.demo.totals import Tally
from tests.oracle import recount

META = {"generator", "version", "complete", "seed", "era", "agents", "anchor"}
GROUP_KEYS = {
    "sessions",
    "messages",
    "llmCalls",
    "errors",
    "toolCalls",
    "toolErrors",
    "tokensIn",
    "tokensOut",
    "cacheRead",
    "cacheWrite",
    "costUSD",
}


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two totals documents disagree (floats compared with a relative tolerance: sum order differs)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only on one side" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, float) or isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_totals_equal_an_independent_recount(demo: tuple[str, Path, DemoTotals]) -> None:
    era, root, totals = demo
    # the detector labels are checked against the files on their own (test_demo_failures.py)
    mine = {k: v for k, v in totals.as_dict().items() if k not in META | {"labels"}}
    assert differences(mine, recount(root, era)) == []


def test_totals_file_is_the_returned_totals(demo: tuple[str, Path, DemoTotals]) -> None:
    era, root, totals = demo
    on_disk = json.loads((root / "demo-totals.json").read_text("utf-8"))
    assert on_disk == json.loads(json.dumps(totals.as_dict()))
    assert on_disk["complete"] is True
    assert on_disk["era"] == era
    assert on_disk["generator"] == "clawscope demo"


def test_breakdowns_add_up_to_the_whole(demo: tuple[str, Path, DemoTotals]) -> None:
    _, _, totals = demo
    d = totals.as_dict()
    for dim in ("byAgent", "bySessionKind"):  # every message belongs to exactly one agent and one kind
        for key in GROUP_KEYS:
            assert math.isclose(sum(g[key] for g in d[dim].values()), d[key], rel_tol=1e-9), (dim, key)
    for key in GROUP_KEYS - {"sessions", "messages"}:  # every call and tool call has a model and a trigger
        for dim in ("byModel", "byTrigger"):
            assert math.isclose(sum(g[key] for g in d[dim].values()), d[key], rel_tol=1e-9), (dim, key)
    assert sum(t["calls"] for t in d["byTool"].values()) == d["toolCalls"]
    assert sum(t["errors"] for t in d["byTool"].values()) == d["toolErrors"]


def test_the_demo_is_varied_enough_to_test_an_ingester(demo: tuple[str, Path, DemoTotals]) -> None:
    era, _, totals = demo
    d = totals.as_dict()
    assert d["sessions"] == 160
    assert set(d["byModel"]) == {
        "anthropic/claude-sonnet-4-5",
        "anthropic/claude-haiku-4-5",
        "openai/gpt-5",
        "openai/gpt-5-mini",
        "openai/gpt-4o-mini",
        "google/gemini-2.5-flash",
        "ollama/qwen3:14b",
    }
    assert d["byModel"]["ollama/qwen3:14b"]["costUSD"] == 0
    assert {"main", "cron-run", "subagent", "openai-api"} <= set(d["bySessionKind"])
    assert {"group", "channel"} & set(d["bySessionKind"])
    assert {"main", "heartbeat", "cron", "subagent", "api", "channel"} <= set(d["byTrigger"])
    assert d["errors"] > 0
    assert d["toolErrors"] > 0
    assert d["compactions"] > 0
    assert d["heartbeatTurns"] > 0
    assert d["nonModelAssistant"] >= 3  # gateway notice, delivery mirror, /model reply
    assert {"exec", "read", "web_fetch", "sessions_spawn"} <= set(d["byTool"])
    assert (d["zstdRows"] > 0) == (era == "sqlite")


def test_a_local_model_costs_nothing(tmp_path: Path) -> None:
    from clawscope.demo import generate

    totals = generate(tmp_path / "d", sessions=40, agents=4, era="jsonl", seed=3).as_dict()
    local = totals["byModel"]["ollama/qwen3:14b"]
    assert local["llmCalls"] > 0
    assert local["tokensIn"] > 0
    assert local["costUSD"] == 0


def test_tally_counts_a_session_once_per_slice() -> None:
    totals = DemoTotals(seed=1, era="jsonl", agents=1, anchor="")
    tally = Tally(totals, "main", "main", "main")
    tally.message()
    tally.set_trigger("heartbeat")
    tally.message("m/x")
    tally.call("m/x", (10, 2, 3, 4), 0.5, False)
    tally.message("m/x")
    tally.call("m/x", (0, 0, 0, 0), 0.0, True)
    tally.tool("m/x", "exec", True)
    tally.close()
    d = totals.as_dict()
    assert (d["sessions"], d["messages"], d["llmCalls"], d["errors"], d["toolErrors"]) == (1, 3, 2, 1, 1)
    assert d["byTrigger"]["main"]["sessions"] == 1
    assert d["byTrigger"]["heartbeat"]["sessions"] == 1
    model = d["byModel"]["m/x"]
    assert (model["sessions"], model["messages"], model["tokensIn"], model["costUSD"]) == (1, 2, 10, 0.5)
    assert d["byTool"] == {"exec": {"calls": 1, "errors": 1}}
