"""Demo state dirs shared by the demo tests: generated once per test session, read-only afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawscope.demo import DemoTotals, generate

SESSIONS = 160
AGENTS = 3
SEED = 11


@pytest.fixture(scope="session")
def demo_jsonl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoTotals]:
    root = tmp_path_factory.mktemp("demo-jsonl") / "state"
    return root, generate(root, sessions=SESSIONS, agents=AGENTS, era="jsonl", seed=SEED)


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoTotals]:
    root = tmp_path_factory.mktemp("demo-sqlite") / "state"
    return root, generate(root, sessions=SESSIONS, agents=AGENTS, era="sqlite", seed=SEED)


@pytest.fixture(params=["jsonl", "sqlite"])
def demo(request: pytest.FixtureRequest) -> tuple[str, Path, DemoTotals]:
    """Both eras, one after the other."""
    root, totals = request.getfixturevalue(f"demo_{request.param}")
    return request.param, root, totals
