"""The dashboard in a real Chromium: every page loads cleanly, shows the API's numbers, follows the
time filter, signs in by one-time link or API key, and updates live when OpenClaw appends a line."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clawscope import analytics
from clawscope.model import Filters
from clawscope.web.dashboard.login import one_time_token
from clawscope.web.dashboard.render import num, usd
from tests.support.browser import Served

pytestmark = pytest.mark.browser

PAGES = ("/", "/timeline", "/models", "/tools", "/sessions", "/agents", "/forecast")


def _signed_in(browser: Any, served: Served) -> Any:
    context = browser.new_context(base_url=served.url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"/login?token={one_time_token(served.state)}")
    assert page.url.rstrip("/") == served.url, page.url
    return page


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    p = _signed_in(browser, served)
    errors: list[str] = []
    p.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    p.errors = errors
    yield p
    p.context.close()


def _metric(page: Any, name: str) -> str:
    return str(page.locator(f'[data-metric="{name}"]').first.inner_text()).strip()


def _totals(served: Served, f: Filters) -> dict[str, Any]:
    return analytics.stats(served.state.store, f)["totals"]


def test_every_page_loads_without_console_errors(page: Any, served: Served, artifacts: Path) -> None:
    top = analytics.sessions(served.state.store, Filters(), limit=1, order="cost")[0]["sessionId"]
    for path in (*PAGES, f"/sessions/{top}"):
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_selector('#live[data-state="live"]', timeout=10_000)
        assert page.locator("main#content h1").count() == 1, path
        name = "session" if path.startswith("/sessions/") else (path.strip("/") or "overview")
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    assert page.errors == []


def test_overview_numbers_equal_the_api(page: Any, served: Served) -> None:
    page.goto("/")
    totals = _totals(served, Filters())
    assert totals["llmCalls"] > 0
    for key in (
        "sessions",
        "messages",
        "llmCalls",
        "toolCalls",
        "tokensIn",
        "tokensOut",
        "cacheRead",
        "cacheWrite",
    ):
        assert _metric(page, key) == num(totals[key]), key
    assert _metric(page, "costUSD") == usd(totals["costUSD"])
    api = page.request.get("/api/v1/stats").json()  # the JSON API's twin of this page
    assert api["totals"]["llmCalls"] == totals["llmCalls"]
    assert page.errors == []


def test_the_time_filter_changes_the_numbers_and_stays_in_the_url(page: Any, served: Served) -> None:
    page.goto("/")
    all_calls = _metric(page, "llmCalls")
    page.fill('form.period input[name="from"]', "2020-01-01")
    page.fill('form.period input[name="to"]', "2020-01-31")
    page.click("form.period button[type=submit]")
    page.wait_for_url("**range=custom**")
    assert "from=2020-01-01" in page.url
    assert _metric(page, "llmCalls") == "0" != all_calls
    assert _metric(page, "llmCalls") == num(
        _totals(served, Filters(since_ms=1577836800000, until_ms=1580515200000))["llmCalls"]
    )
    page.click('a.chip:has-text("Last 30 days")')
    page.wait_for_url("**range=30d**")
    now = int(time.time() * 1000)
    expected = _totals(served, Filters(since_ms=now - 30 * 86_400_000))
    assert _metric(page, "llmCalls") == num(expected["llmCalls"])
    page.click('nav a:has-text("Sessions")')  # the period follows the navigation
    assert "range=30d" in page.url
    assert page.errors == []


def _append_assistant_line(state_dir: Path) -> None:
    """Append one priced assistant message to a transcript, as OpenClaw would."""
    path = next((state_dir / "agents" / "main" / "sessions").glob("*.jsonl"))
    lines = path.read_text().splitlines()
    last = json.loads(next(ln for ln in reversed(lines) if '"role":"assistant"' in ln))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    last.update(id="feedbeef", parentId=last["id"], timestamp=stamp)
    last["message"]["responseId"] = "live-test-response"
    last["message"]["timestamp"] = int(time.time() * 1000)
    with path.open("a") as fh:
        fh.write(json.dumps(last, separators=(",", ":")) + "\n")


def test_an_appended_transcript_line_updates_the_page_without_reload(page: Any, served: Served) -> None:
    page.goto("/")
    page.wait_for_selector('#live[data-state="live"]', timeout=10_000)
    assert page.get_attribute("body", "data-live") == "sse"  # the app serves the stream: it is used
    before = _metric(page, "llmCalls")
    page.evaluate("window.__sameDocument = true")
    _append_assistant_line(served.state_dir)
    page.wait_for_function(
        "before => document.querySelector('[data-metric=llmCalls]').textContent.trim() !== before",
        arg=before,
        timeout=30_000,
    )
    assert page.evaluate("window.__sameDocument === true")  # updated in place, not reloaded
    assert _metric(page, "llmCalls") == num(_totals(served, Filters())["llmCalls"])
    assert page.errors == []


def test_signing_in_with_an_api_key_sets_a_strict_httponly_cookie(browser: Any, served: Served) -> None:
    plain, _ = served.state.store.keys.create("browser", ("stats:read",), 1000)
    context = browser.new_context(base_url=served.url)
    page = context.new_page()
    page.goto("/models")
    assert "/login" in page.url
    page.fill('input[name="api_key"]', "cs_wrong_key")
    page.click("form button[type=submit]")
    assert page.locator(".error").count() == 1
    page.fill('input[name="api_key"]', plain)
    page.click("form button[type=submit]")
    page.wait_for_url("**/models")
    cookie = next(c for c in context.cookies() if c["name"] == "clawscope_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    context.close()


def test_a_login_link_works_once(browser: Any, served: Served) -> None:
    token = one_time_token(served.state)
    first = browser.new_context(base_url=served.url)
    assert first.new_page().goto(f"/login?token={token}").status == 200
    assert any(c["name"] == "clawscope_session" for c in first.cookies())
    second = browser.new_context(base_url=served.url)
    assert second.new_page().goto(f"/login?token={token}").status == 401
    assert not any(c["name"] == "clawscope_session" for c in second.cookies())
    first.close()
    second.close()


def test_a_demo_state_says_so_on_every_page(page: Any, served: Served) -> None:
    served.state.serving.demo = True
    try:
        for path in PAGES:
            page.goto(path)
            assert "Demo data" in page.locator("#demo-banner").inner_text(), path
    finally:
        served.state.serving.demo = False
