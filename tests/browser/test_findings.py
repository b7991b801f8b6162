"""Findings in a real Chromium over a real conformance-corpus recording (OpenClaw 2026.9.6): the Findings
page lists what the detectors found and links to the session, whose replay marks the cited entries.
The detector is the tests' trivial one (a failed tool call), so this tests the product around the
detectors, not a family's tuning."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clawscope.config import Settings
from clawscope.store import FindingQuery, Store
from clawscope.web import create_app, live_ingest
from clawscope.web.dashboard.login import one_time_token
from clawscope.web.state import AppState
from tests.detect.doubles import registered
from tests.support.browser import Served
from tests.support.env import FIXTURES
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser
CORPUS = FIXTURES / "detect" / "openclaw-2026.9.6"
SCENARIO = "tool_abuse/consecutive-errors"


@pytest.fixture(scope="module")
def corpus_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("findings")
    state_dir = tmp / "openclaw"
    shutil.copytree(CORPUS / "state", state_dir)
    settings = Settings(db=f"sqlite:///{tmp / 'clawscope.db'}", home=tmp / "home", instance="browser-test")
    with registered(), Store(settings.db_url) as store:
        app = create_app(settings, store=store)
        state: AppState = app.state.clawscope
        live = live_ingest.LiveIngest(state, [state_dir])
        live.run_once()  # ingest, then detection (the after-pass hook)
        with LiveServer(app) as server:
            yield Served(server.url, state, state_dir, live)


def session_of(scenario: str) -> str:
    labels = json.loads((CORPUS / "labels.json").read_text())["sessions"]
    return next(sid for sid, s in labels.items() if s["session"] == scenario)


def test_findings_page_and_replay_markers(browser: Any, corpus_served: Served, artifacts: Path) -> None:
    sid = session_of(SCENARIO)
    found = corpus_served.state.store.findings.of_session(sid)
    assert found, "the corpus session has failed tool calls"
    context = browser.new_context(base_url=corpus_served.url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"/login?token={one_time_token(corpus_served.state)}")
        page.goto("/findings")
        assert page.locator("main#content h1").inner_text().startswith("Findings")
        link = page.locator(f'table.findings a[href="/sessions/{sid}#entry-{found[0].anchor_entry_id}"]')
        assert link.count() == 1
        page.screenshot(path=str(artifacts / "findings.png"), full_page=True)
        link.click()
        page.wait_for_url(f"**/sessions/{sid}#entry-{found[0].anchor_entry_id}")
        step = page.locator(f"li#entry-{found[0].anchor_entry_id}")
        assert "flagged" in (step.get_attribute("class") or "")
        assert step.locator(f'[data-finding="{found[0].id}"]').is_visible()
        markers = page.locator(".marker[data-finding]")
        assert markers.count() == sum(len(f.entry_ids) for f in found)
        page.screenshot(path=str(artifacts / "finding-replay.png"), full_page=True)
        page.goto("/")
        tile = page.locator('[data-metric="findings"]').inner_text().strip()
        assert int(tile.replace(",", "")) == corpus_served.state.store.findings.count(
            FindingQuery(status="open")
        )
        assert errors == []
    finally:
        context.close()
