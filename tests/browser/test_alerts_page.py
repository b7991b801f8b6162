"""The Alerts page in a real Chromium: a rule form refused first by the browser (negative threshold),
then by the server (a channel host that does not resolve), then created; "send a test" reaches a real
receiver on loopback and shows in the history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clawscope.web.dashboard.login import one_time_token
from tests.support.browser import Served
from tests.support.receivers import HttpReceiver

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    context = browser.new_context(base_url=served.url, viewport={"width": 1400, "height": 1200})
    p = context.new_page()
    p.goto(f"/login?token={one_time_token(served.state)}")
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    p.errors = errors
    yield p
    context.close()


def test_create_a_rule_send_a_test_and_see_it_in_the_history(page: Any, artifacts: Path) -> None:
    with HttpReceiver() as receiver:
        assert page.goto("/alerts").status == 200
        assert page.locator("main#content h1").inner_text() == "Alerts"
        page.fill("input[name=name]", "browser rule")
        page.select_option("select[name=measure]", "cost")
        page.fill("#threshold", "-1")
        page.fill("input[name=window]", "1h")
        page.select_option("select[name=channel_kind]", "slack")
        page.fill("#channel-url", "http://no-such-host.invalid/hook")
        page.click("#create")
        # the browser refuses the negative threshold: nothing is sent, the field says why
        assert page.eval_on_selector("#threshold", "e => !e.validity.valid && e.validationMessage.length > 0")
        assert page.url.endswith("/alerts")
        page.fill("#threshold", "2.5")
        with page.expect_navigation():
            page.click("#create")
        # the server refuses the host that does not resolve, and keeps what was typed
        assert "unreachable host 'no-such-host.invalid'" in page.locator("#form-error").inner_text()
        assert page.input_value("input[name=name]") == "browser rule"
        page.fill("#channel-url", receiver.url + "/services/T/B/X")
        with page.expect_navigation():
            page.click("#create")
        assert page.locator("#notice").inner_text() == "Rule created."
        row = page.locator("#rules tr", has_text="browser rule")
        assert row.count() == 1
        with page.expect_navigation():
            row.locator("button.test").click()
        (req,) = receiver.wait(1)
        assert req.path == "/services/T/B/X"
        assert json.loads(req.body)["text"].startswith("*[TEST] browser rule*")
        test_row = page.locator('#history tr[data-kind="test"]').first
        assert "test notice from clawscope for rule 'browser rule'" in test_row.inner_text()
        assert test_row.locator('.delivery[data-status="sent"]').count() == 1
        page.screenshot(path=str(artifacts / "alerts.png"), full_page=True)
    assert page.errors == []
