"""The browser tier: a real headless Chromium (Debian `chromium`, driven by Playwright) against a real
`clawscope serve` app on loopback, live-ingesting a copy of a real OpenClaw state dir.

One server per module keeps the tier fast; screenshots go to `artifacts/browser/` (gitignored).
"""

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
from tests.support.browser import Served
from tests.support.env import FIXTURES, ROOT, require
from tests.support.server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve")
    state_dir = tmp / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    settings = Settings(db=f"sqlite:///{tmp / 'clawscope.db'}", home=tmp / "home", instance="browser-test")
    with Store(settings.db_url) as store:
        app = create_app(settings, store=store)
        state: AppState = app.state.clawscope
        state.serving.state_dirs = [str(state_dir)]
        live = live_ingest.LiveIngest(state, [state_dir])
        live.run_once()  # the first pass before the first page, so the numbers are there
        live.start()
        with LiveServer(app) as server:
            yield Served(server.url, state, state_dir, live)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(CHROMIUM.exists(), f"Chromium at {CHROMIUM} (scripts/setup-test-deps browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
