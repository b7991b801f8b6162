"""The Health page in a real Chromium: an unreadable transcript in a followed state dir shows up as a
problem with its code, where and why, and the live badge turns amber on every page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app, live_ingest
from clawscope.web.state import AppState
from tests.support.env import FIXTURES
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser
BROKEN = "badbad00-0000-0000-0000-000000000000.jsonl"
AMBER = "rgb(242, 157, 56)"  # --warn


@pytest.fixture(scope="module")
def served_broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppState]]:
    tmp = tmp_path_factory.mktemp("health")
    state_dir = tmp / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    (state_dir / "agents" / "main" / "sessions" / BROKEN).write_text("this is not a transcript\n")
    settings = Settings(
        db=f"sqlite:///{tmp / 'clawscope.db'}", home=tmp / "home", instance="browser-test", no_auth=True
    )
    with Store(settings.db_url) as store:
        app = create_app(settings, store=store)
        state: AppState = app.state.clawscope
        state.serving.state_dirs = [str(state_dir)]
        live = live_ingest.LiveIngest(state, [state_dir])
        live.run_once()
        with LiveServer(app) as server:
            yield server.url, state


def test_the_health_page_shows_an_unreadable_transcript(
    browser: Any, served_broken: tuple[str, AppState], artifacts: Path
) -> None:
    url, state = served_broken
    context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        assert page.goto("/health").status == 200
        page.wait_for_selector('#live[data-state="live"]', timeout=10_000)
        row = page.locator('table.problems tr[data-code="invalid_json"]')
        assert row.count() == 1
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        assert cells[0] == "invalid_json" and cells[1] == "error" and cells[2] == "1"
        assert BROKEN in cells[3] and "(line 1)" in cells[3]  # where
        assert "invalid JSON" in cells[4]  # why
        assert page.locator('[data-metric="newProblems"]').inner_text() == "1"
        sources = page.locator("table.sources tr").nth(1).locator("td").all_inner_texts()
        assert (
            sources[0] == state.serving.state_dirs[0] and int(sources[1]) == 5
        )  # 4 transcripts + the bad one
        for path in ("/health", "/"):  # the badge is amber everywhere, not a green "live"
            page.goto(path)
            page.wait_for_selector('#live[data-state="live"]', timeout=10_000)
            assert page.locator("#live").get_attribute("data-health") == "warn"
            dot = page.locator("#live .dot").evaluate("e => getComputedStyle(e).backgroundColor")
            assert dot == AMBER, path
        page.goto("/health")
        page.screenshot(path=str(artifacts / "health.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
