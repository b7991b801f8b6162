"""Plans: exact session budgets, every kind once there is room, deterministic."""

from __future__ import annotations

import random

import pytest

from clawscope.demo.clock import anchor_ms
from clawscope.demo.scenario import kind_budget, plan_agent, split


@pytest.mark.parametrize("total", [0, 1, 5, 17, 1000])
def test_split_is_exact(total: int) -> None:
    parts = split(total, [3.0, 2.0, 1.0], 1)
    assert sum(parts) == total
    assert all(p >= (1 if total >= 3 else 0) for p in parts)


@pytest.mark.parametrize("n", [1, 2, 4, 5, 6, 40, 500, 50_000])
def test_kind_budget(n: int) -> None:
    b = kind_budget(n)
    assert sum(b.values()) == n
    assert b["main"] >= 1
    if n >= 5:
        assert all(b.values())
    assert b["main"] <= 90


def test_plans_are_deterministic_and_spawn_exactly_the_subagent_budget() -> None:
    a = plan_agent(random.Random(1), 0, 300, anchor_ms(1), showcase=True)
    b = plan_agent(random.Random(1), 0, 300, anchor_ms(1), showcase=True)
    assert a.openai == b.openai
    assert [j.runs for j in a.jobs] == [j.runs for j in b.jobs]
    parents = a.main + [w for g in a.groups for w in g.windows]
    assert sum(w.spawns for w in parents) == a.subagents == kind_budget(300)["subagent"]
    assert a.main[0].showcase
    assert a.main[0].spawns >= 1
    assert all(r < anchor_ms(1) for j in a.jobs for r in j.runs)
