"""The dashboard pages over a real database (both backends): they render, they show the analytics
numbers, they honour the period in the URL, and they sit behind sign-in unless auth is off."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clawscope import analytics
from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from clawscope.store import rollup_totals as rq
from clawscope.web import create_app
from clawscope.web.dashboard import charts
from clawscope.web.dashboard.login import one_time_token
from clawscope.web.dashboard.period import DAY_MS, parse_period
from clawscope.web.dashboard.render import num, usd
from tests.support.env import FIXTURES

LOCAL = "http://127.0.0.1"  # without auth the app answers loopback host names only

PAGES = (
    "/",
    "/timeline",
    "/timeline?unit=hour",
    "/timeline?unit=month",
    "/models",
    "/tools",
    "/sessions",
    "/sessions?sort=cost&dir=asc&q=main",
    "/agents",
    "/forecast",
)


@pytest.fixture
def filled(store: Store) -> Store:
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="test-host")
    return store


@pytest.fixture
def open_client(settings: Settings, filled: Store):
    with TestClient(create_app(replace(settings, no_auth=True), store=filled), base_url=LOCAL) as c:
        yield c


def _metric(html: str, name: str) -> str:
    m = re.search(rf'data-metric="{name}">([^<]*)<', html)
    assert m, name
    return m.group(1)


def test_every_page_renders(open_client: TestClient, filled: Store) -> None:
    for path in PAGES:
        r = open_client.get(path)
        assert r.status_code == 200, path
        assert '<main id="content">' in r.text
        assert "cdn" not in r.text.lower()
    sid = analytics.sessions(filled, Filters(), limit=1, order="cost")[0]["sessionId"]
    r = open_client.get(f"/sessions/{sid}")
    assert r.status_code == 200
    assert 'class="step assistant"' in r.text
    assert open_client.get("/sessions/no-such-session").status_code == 404


def test_overview_shows_the_analytics_totals(open_client: TestClient, filled: Store) -> None:
    totals = analytics.stats(filled, Filters())["totals"]
    html = open_client.get("/").text
    for key in ("sessions", "llmCalls", "toolCalls", "tokensIn", "tokensOut", "cacheRead", "cacheWrite"):
        assert _metric(html, key) == num(totals[key]), key
    assert _metric(html, "costUSD") == usd(totals["costUSD"])
    empty = open_client.get("/?range=custom&from=2001-01-01&to=2001-01-02").text
    assert _metric(empty, "llmCalls") == "0" != _metric(html, "llmCalls")


def test_sessions_are_searchable_and_sortable(open_client: TestClient, filled: Store) -> None:
    rows = analytics.sessions(filled, Filters())
    html = open_client.get("/sessions?sort=cost&dir=desc").text
    costs = [usd(r["costUSD"]) for r in sorted(rows, key=lambda r: -r["costUSD"])]
    shown = re.findall(r'<td class="n">(\$[0-9.,]+)</td>', html)
    assert shown == costs
    none = open_client.get("/sessions?q=zzz-nothing-matches").text
    assert "No sessions match." in none


def test_pages_need_sign_in_when_auth_is_on(settings: Settings, filled: Store) -> None:
    app = create_app(settings, store=filled)
    with TestClient(app) as c:
        r = c.get("/models?range=7d", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=/models%3Frange%3D7d"
        token = one_time_token(app.state.clawscope)
        r = c.get(f"/login?token={token}&next=/models", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/models"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert c.get("/models").status_code == 200
        # the cookie is also a bearer credential of the API, with the dashboard key's read scopes only
        assert c.get("/api/v1/auth/keys").status_code in (401, 403, 404, 405)
        assert c.get(f"/login?token={token}", follow_redirects=False).status_code == 401  # used up


def test_login_redirects_only_to_local_paths(settings: Settings, filled: Store) -> None:
    app = create_app(settings, store=filled)
    with TestClient(app) as c:
        token = one_time_token(app.state.clawscope)
        r = c.get(f"/login?token={token}&next=//evil.example/", follow_redirects=False)
        assert r.headers["location"] == "/"


def test_periods_parse_from_the_url() -> None:
    now = 1_795_238_990_000
    assert parse_period(None, None, None, now).since_ms is None
    today = parse_period("today", None, None, now)
    assert today.since_ms == now - now % DAY_MS
    week = parse_period("7d", None, None, now).since_ms
    assert week == (now - 7 * DAY_MS) - (now - 7 * DAY_MS) % 3_600_000  # on a whole hour: roll-ups answer
    assert week is not None and rq.covers(Filters(since_ms=week))
    custom = parse_period("custom", "2026-11-01", "2026-11-02", now)
    assert (custom.since_ms, custom.until_ms) == (1_793_491_200_000, 1_793_491_200_000 + 2 * DAY_MS)
    assert custom.query() == "range=custom&from=2026-11-01&to=2026-11-02"
    assert parse_period("custom", "garbage", "", now).key == "all"
    assert parse_period("bogus", None, None, now).key == "all"


def test_charts_mark_spikes_and_escape_labels() -> None:
    assert charts.spikes([1, 1, 1, 1, 1, 1, 1, 1, 1, 50]) == {9}
    assert charts.spikes([1, 2, 3]) == set()
    svg = str(charts.bars([("<script>", 3.0)]))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'class="spike"' in str(charts.columns([(str(i), 1.0) for i in range(9)] + [("x", 40.0)]))
    assert "No data" in str(charts.donut([]))


def test_demo_banner_on_every_page(settings: Settings, filled: Store, tmp_path: Path) -> None:
    app = create_app(replace(settings, no_auth=True), store=filled)
    app.state.clawscope.serving.demo = True
    with TestClient(app, base_url=LOCAL) as c:
        for path in PAGES:
            assert 'id="demo-banner"' in c.get(path).text, path


def _sign_in_with_key(c: TestClient, key: str) -> None:
    r = c.post("/login", data={"api_key": key, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_transcript_pages_need_sessions_read(settings: Settings, filled: Store) -> None:
    app = create_app(settings, store=filled)
    stats_only, _ = filled.keys.create("stats only", ("stats:read",))
    sid = analytics.sessions(filled, Filters(), limit=1)[0]["sessionId"]
    with TestClient(app) as c:
        _sign_in_with_key(c, stats_only)
        assert c.get("/").status_code == 200
        assert c.get("/sessions").status_code == 403  # as GET /api/v1/sessions would be
        assert c.get(f"/sessions/{sid}").status_code == 403
        assert c.get("/api/v1/sessions").status_code == 403
        assert "<pre>" not in c.get("/tools").text  # no failing-call texts (tool output)


def test_the_cookie_of_an_admin_key_reads_only_and_never_writes(settings: Settings, filled: Store) -> None:
    app = create_app(settings, store=filled)
    admin, _ = filled.keys.create("admin", ("admin",))
    sid = analytics.sessions(filled, Filters(), limit=1)[0]["sessionId"]
    with TestClient(app) as c:
        _sign_in_with_key(c, admin)
        assert c.get(f"/sessions/{sid}").status_code == 200
        assert c.get("/api/v1/sessions").status_code == 200
        assert c.get("/api/v1/openclaw/instances").status_code == 403  # ingest:write not in the cookie
        assert c.delete(f"/api/v1/sessions/{sid}").status_code == 401  # no cookie auth on writes
    assert analytics.sessions(filled, Filters(), limit=1)[0]["sessionId"] == sid


def test_a_huge_login_form_is_refused(settings: Settings, filled: Store) -> None:
    app = create_app(settings, store=filled)
    with TestClient(app) as c:
        r = c.post(
            "/login",
            content=b"api_key=" + b"x" * 100_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413


def test_replay_reads_numeric_timestamps() -> None:
    from clawscope.web.dashboard.replay import _at

    assert _at(1_767_225_600_000) == "2026-01-01T00:00:00.000Z"
    assert _at("2026-01-01T00:00:00Z") == "2026-01-01T00:00:00Z"
    assert _at(10**30) == str(10**30)
    assert _at(None) is None
