"""Issue 18 in a real Chromium: uPlot charts with axes and a tooltip, click-through from a bar to the
filtered sessions, paging on Sessions, a 5,000-entry replay whose first page holds at most a page of
entries, search finding an entry, period comparison, a CSV download equal to the API, a page patched
in place from the stream (scroll kept, "updated" shown), and no console errors on any page."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clawscope.config import Settings
from clawscope.exports.csvout import cell
from clawscope.store import Store
from clawscope.web import create_app, live_ingest
from clawscope.web.dashboard import replay
from clawscope.web.dashboard.login import one_time_token
from clawscope.web.state import AppState
from tests.browser.test_dashboard import _append_assistant_line
from tests.support.browser import Served
from tests.support.env import FIXTURES
from tests.support.long_session import SESSION_ID, WORD, write_session
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser
PAGES = ("/", "/timeline", "/timeline?unit=hour&stack=agent", "/timeline?unit=month", "/models", "/tools",
         "/sessions", "/sessions?size=25&sort=model&dir=asc&q=main", "/agents", "/forecast", "/health",
         "/findings", "/alerts", "/search?q=hello", f"/sessions/{SESSION_ID}", "/login")  # fmt: skip

READY = """() => [...document.querySelectorAll('.uchart')]
    .every(c => c.dataset.drawn === '1' || c.querySelector('.empty'))
  && (document.body.dataset.live === 'off'
      || document.querySelector('#live').dataset.state !== 'connecting')"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve-browse")
    state_dir = tmp / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    write_session(state_dir, 5000)
    settings = Settings(db=f"sqlite:///{tmp / 'clawscope.db'}", home=tmp / "home", instance="browser-test")
    with Store(settings.db_url) as store:
        app = create_app(settings, store=store)
        state: AppState = app.state.clawscope
        state.serving.state_dirs = [str(state_dir)]
        live = live_ingest.LiveIngest(state, [state_dir])
        live.run_once()
        live.start()
        with LiveServer(app) as server:
            yield Served(server.url, state, state_dir, live)


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    context = browser.new_context(
        base_url=served.url, viewport={"width": 1400, "height": 900}, accept_downloads=True
    )
    p = context.new_page()
    p.goto(f"/login?token={one_time_token(served.state)}")
    errors: list[str] = []
    p.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    p.errors = errors
    yield p
    context.close()


def test_no_console_errors_on_any_page(page: Any, artifacts: Path) -> None:
    page.goto("/")
    nav = page.eval_on_selector_all("header.top nav a", "els => els.map(e => new URL(e.href).pathname)")
    assert len(nav) >= 10 and set(nav) <= {p.split("?")[0] for p in PAGES}, nav  # every page in the menu
    for path in PAGES:
        assert page.goto(path).status == 200, path
        page.wait_for_load_state("load")
        assert page.locator("main#content h1").count() == 1, path
        page.wait_for_function(READY)  # the scripts that run after load (charts, the stream) ran too
    assert page.errors == []
    assert page.goto("/sessions/no-such-session").status == 404
    assert page.locator("main#content h1").count() == 1
    page.wait_for_function(READY)
    # Chromium logs the page's own 404 status; nothing else may fail
    assert [e for e in page.errors if "status of 404" not in e] == []
    assert len(page.errors) <= 1


def test_a_chart_has_axes_and_a_tooltip_and_a_bar_opens_its_sessions(page: Any) -> None:
    page.goto("/timeline?stack=model")
    chart = page.locator('.uchart[data-chart="cost"][data-drawn="1"]')
    chart.wait_for()
    assert chart.locator(".u-axis").count() == 2  # x and y
    assert "USD" in page.locator('section:has(.uchart[data-chart="cost"]) h2').inner_text()  # the unit
    box = chart.locator(".u-over").bounding_box()
    tip = chart.locator(".chart-tip")
    for frac in [i / 60 for i in range(1, 60)]:  # along the bottom of the plot, to a bar with cost
        page.mouse.move(box["x"] + box["width"] * frac, box["y"] + box["height"] - 2)
        if tip.is_visible() and "total $0.0000" not in tip.inner_text():
            break
    assert tip.is_visible() and "fake-model" in tip.inner_text() and "total $" in tip.inner_text()
    page.mouse.click(box["x"] + box["width"] * frac, box["y"] + box["height"] - 2)
    page.wait_for_url("**/sessions?**")
    assert "model=fake-model" in page.url and "range=custom" in page.url
    assert page.locator("td[data-session]").count() >= 1
    assert page.errors == []


def test_sessions_page_by_page(page: Any, served: Served) -> None:
    page.goto("/sessions?size=25")
    assert page.locator("td[data-session]").count() <= 25
    first = page.locator("td[data-session]").first.get_attribute("data-session")
    page.goto("/sessions?size=1&sort=cost")
    assert page.locator("td[data-session]").count() == 1
    page.click('nav.pager a:has-text("next")')
    page.wait_for_url("**page=2**")
    assert page.locator("td[data-session]").count() == 1
    assert first is not None
    assert page.errors == []


def test_a_5000_entry_replay_opens_on_one_page(page: Any) -> None:
    page.goto(f"/sessions/{SESSION_ID}")
    ids = page.eval_on_selector_all("ol.replay li[id^=entry-]", "els => els.map(e => e.id)")
    assert 0 < len(ids) <= replay.PAGE
    assert page.locator("details.long summary:has-text('show all')").count() >= 1
    page.click("nav.pager a[data-next]")
    page.wait_for_url("**p=2**")
    assert page.locator("ol.replay li[id^=entry-]").count() <= replay.PAGE
    assert page.errors == []


def test_search_finds_an_entry_and_opens_it_in_the_replay(page: Any) -> None:
    page.goto("/")
    page.fill("form.search-box input[name=q]", WORD.format(3001))
    page.press("form.search-box input[name=q]", "Enter")
    page.wait_for_url("**/search?q=**")
    assert page.locator(".hit").count() == 1
    page.click(".hit a.hit-link")
    page.wait_for_url("**#entry-e0003001")
    assert page.locator("#entry-e0003001").is_visible()
    assert page.errors == []


def test_the_overview_compares_periods(page: Any) -> None:
    page.goto("/?range=custom&from=2026-11-21&to=2026-11-22")
    assert page.locator("#comparison tr[data-compare=costUSD]").count() == 1
    assert "vs previous" in page.locator('[data-delta="costUSD"]').inner_text()
    assert page.errors == []


def test_a_csv_download_equals_the_api(page: Any) -> None:
    page.goto("/timeline")
    with page.expect_download() as info:
        page.click('[data-downloads="timeline"] a:has-text("CSV")')
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    api = page.request.get("/api/v1/stats/days").json()["groups"]
    assert [(r["key"], float(r["costUSD"]), int(r["llmCalls"])) for r in rows] == [
        (g["key"], g["costUSD"], g["llmCalls"]) for g in api
    ]
    assert [{k: r.get(k, "") for k in g} for r, g in zip(rows, api, strict=True)] == [
        {k: cell(v) for k, v in g.items()} for g in api
    ]  # every field of the API as the one CSV writer writes it (a field the API shows null: no column)
    page.goto("/sessions?size=1")
    with page.expect_download() as info:
        page.click('[data-downloads="sessions"] a:has-text("CSV")')
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    listed = page.request.get("/api/v1/sessions?limit=500").json()["sessions"]
    assert len(rows) == len(listed) > 1  # every page of the table, not the one shown
    by_id = {r["sessionId"]: r for r in rows}
    for s in listed:
        assert {k: by_id[s["sessionId"]].get(k, "") for k in s} == {k: cell(v) for k, v in s.items()}
    assert page.errors == []


def test_a_page_is_patched_in_place_keeping_the_scroll(page: Any, served: Served) -> None:
    page.set_viewport_size({"width": 1400, "height": 400})
    page.goto("/")
    page.wait_for_selector('#live[data-state="live"]', timeout=15_000)
    page.evaluate("window.__same = true; window.scrollTo(0, 300)")
    page.evaluate("() => { document.querySelector('main#content h1').__kept = 1; }")
    before = page.locator('[data-metric="llmCalls"]').inner_text()
    _append_assistant_line(served.state_dir)
    page.wait_for_function(
        "b => document.querySelector('[data-metric=llmCalls]').textContent.trim() !== b",
        arg=before,
        timeout=60_000,
    )
    assert page.evaluate("window.__same === true")  # no reload
    assert page.evaluate("document.querySelector('main#content h1').__kept === 1")  # nodes kept, not rebuilt
    assert page.evaluate("window.scrollY") == 300
    assert "updated" in page.locator("#updated").inner_text()
    assert int(page.get_attribute("body", "data-changed") or 0) > 0
    assert page.errors == []
