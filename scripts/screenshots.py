"""Regenerate the dashboard screenshots in docs/screenshots/ from a demo state, with the same headless
Chromium the browser tier uses (Debian's /usr/bin/chromium driven by Playwright).

    .venv/bin/python scripts/screenshots.py [--sessions 400] [--seed 7]

A demo state (`clawscope demo`, fixed seed and end time, so the pictures are reproducible) is ingested
into a temporary SQLite database and served on loopback without auth; every page is captured.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.server import LiveServer  # noqa: E402

from clawscope import analytics  # noqa: E402
from clawscope.config import Settings  # noqa: E402
from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.demo import generate  # noqa: E402
from clawscope.ingest import ingest  # noqa: E402
from clawscope.model import Filters  # noqa: E402
from clawscope.store import Store  # noqa: E402
from clawscope.web import create_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
END_MS = 1_796_083_200_000  # 2026-12-01T00:00Z: a fixed "now" for the demo's history
PAGES = {
    "overview": "/?range=30d",
    "timeline": "/timeline?stack=model",
    "models": "/models",
    "tools": "/tools",
    "sessions": "/sessions",
    "findings": "/findings",
    "agents": "/agents",
    "forecast": "/forecast",
    "health": "/health",
    "alerts": "/alerts",
    "search": "/search?q=error",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        generate(tmp / "state", sessions=args.sessions, agents=3, era="jsonl", seed=args.seed, end_ms=END_MS)
        settings = Settings(db=sqlite_url(tmp / "db.sqlite"), home=tmp / "home", no_auth=True)
        with Store(settings.db_url) as store:
            ingest(store, [tmp / "state"], instance="demo")
            top = analytics.sessions(store, Filters(), limit=1, order="cost")[0]["sessionId"]
            pages = {**PAGES, "session": f"/sessions/{top}"}
            app = create_app(settings, store=store)
            app.state.clawscope.serving.demo = True
            with LiveServer(app) as server, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page(base_url=server.url, viewport={"width": 1400, "height": 1000})
                for name, path in pages.items():
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=name != "session")
                    print(f"docs/screenshots/{name}.png  {path}")
                browser.close()


if __name__ == "__main__":
    main()
