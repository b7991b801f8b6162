"""One number everywhere: each dashboard page shows what its REST API twin answers on the same database
(both backends), the forecast is the API's one, a session's model is its dominant model by cost (all
its models listed), and the token count is the one `totalTokens` on the list and on the session page."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from clawscope import analytics
from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from clawscope.web import create_app
from clawscope.web.dashboard import data
from clawscope.web.dashboard.render import num, usd
from tests.support.builders import assistant, state_dir, user, write_session
from tests.support.env import FIXTURES

LOCAL = "http://127.0.0.1"
MIXED = "0d000000-0000-0000-0000-00000000d0d0"  # a session whose last model is not where its cost went


@pytest.fixture
def filled(store: Store, tmp_path: Path) -> Store:
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="test-host")
    sessions = state_dir(tmp_path / "mixed")
    records = [
        user("plan it", ts="2026-11-02T10:00:00.000Z"),
        assistant(
            cost=0.90, model="claude-opus-4-1", input=9000, cache_read=700, ts="2026-11-02T10:00:01.000Z"
        ),
        assistant(cost=0.02, model="gpt-5-mini", provider="openai", input=300, ts="2026-11-02T10:00:02.000Z"),
        assistant(cost=0.03, model="gpt-5-mini", provider="openai", input=400, ts="2026-11-02T10:00:03.000Z"),
    ]
    write_session(sessions, MIXED, records)
    ingest(store, [tmp_path / "mixed"], instance="test-host")
    return store


@pytest.fixture
def client(settings: Settings, filled: Store):
    with TestClient(create_app(replace(settings, no_auth=True), store=filled), base_url=LOCAL) as c:
        yield c


def api(client: TestClient, path: str) -> Any:
    r = client.get("/api/v1" + path)
    assert r.status_code == 200, r.text
    return r.json()


def metric(html: str, name: str) -> str:
    m = re.search(rf'data-metric="{name}"[^>]*>([^<]*)<', html)
    assert m, name
    return unescape(m.group(1))


def rows(html: str, after: str = "") -> list[list[str]]:
    """The cells of each row of the first table after `after`, as text."""
    table = html[html.index(after) :] if after else html
    table = table[table.index("<table") : table.index("</table>")]
    out = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        if cells:
            out.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return out


def test_overview_is_the_stats_endpoint(client: TestClient) -> None:
    totals = api(client, "/stats")["totals"]
    html = client.get("/").text
    for key in ("sessions", "llmCalls", "toolCalls", "tokensIn", "tokensOut", "cacheRead", "cacheWrite"):
        assert metric(html, key) == num(totals[key]), key
    assert metric(html, "costUSD") == usd(totals["costUSD"])


def test_models_page_is_the_models_endpoint(client: TestClient) -> None:
    groups = api(client, "/stats/models")["groups"]
    page = rows(client.get("/models").text, "Per model")
    assert [(r[0], r[2], r[4], r[10]) for r in page] == [
        (g["key"], usd(g["costUSD"]), num(g["llmCalls"]), num(g["sessions"])) for g in groups
    ]


def test_sessions_page_is_the_sessions_endpoint(client: TestClient) -> None:
    listed = {s["sessionId"]: s for s in api(client, "/sessions?limit=100")["sessions"]}
    html = client.get("/sessions").text
    ids = re.findall(r'<tr><td><a href="/sessions/([^"]+)">', html)
    assert sorted(ids) == sorted(listed)
    for sid, cells in zip(ids, rows(html), strict=True):
        s = listed[sid]
        assert cells[4] == (s["model"] or "–")
        assert cells[5] == usd(s["costUSD"])
        assert cells[6] == num(s["totalTokens"])  # the one token count, as on the session page


def test_session_page_is_the_session_endpoint(client: TestClient) -> None:
    for sid in (MIXED, api(client, "/sessions?limit=1&sort=cost")["sessions"][0]["sessionId"]):
        s = api(client, f"/sessions/{sid}")
        html = client.get(f"/sessions/{sid}").text
        assert metric(html, "costUSD") == usd(s["costUSD"])
        assert metric(html, "llmCalls") == num(s["llmCalls"])
        assert metric(html, "toolCalls") == num(s["toolCalls"])
        assert metric(html, "totalTokens") == num(s["totalTokens"])
        assert metric(html, "model") == (s["model"] or "–")


def test_a_sessions_model_is_its_dominant_model_by_cost_with_all_listed(client: TestClient) -> None:
    s = api(client, f"/sessions/{MIXED}")
    assert (s["provider"], s["model"]) == ("anthropic", "claude-opus-4-1")  # not the last one, gpt-5-mini
    assert [(m["model"], m["llmCalls"], round(m["costUSD"], 6)) for m in s["models"]] == [
        ("claude-opus-4-1", 1, 0.9),
        ("gpt-5-mini", 2, 0.05),
    ]
    (row,) = [r for r in api(client, "/sessions?limit=100")["sessions"] if r["sessionId"] == MIXED]
    assert row["model"] == "claude-opus-4-1"
    page = rows(client.get(f"/sessions/{MIXED}").text, "<h2>Models</h2>")
    assert [r[0] for r in page] == ["anthropic/claude-opus-4-1", "openai/gpt-5-mini"]


def test_token_columns_are_defined_once(client: TestClient) -> None:
    s = api(client, f"/sessions/{MIXED}")
    # input + output + cache read + cache write of every call: 9000+50+700, 300+50, 400+50
    assert (
        s["totalTokens"]
        == 9750 + 350 + 450
        == s["tokensIn"] + s["tokensOut"] + s["cacheRead"] + s["cacheWrite"]
    )
    day = api(client, "/stats?from=2026-11-02&to=2026-11-03")["totals"]
    assert day["totalTokens"] == s["totalTokens"]  # the stats' totalTokens is the same count
    listed = client.get("/sessions?q=" + MIXED[:8]).text
    assert num(s["totalTokens"]) in rows(listed)[0]
    assert metric(client.get(f"/sessions/{MIXED}").text, "totalTokens") == num(s["totalTokens"])


def test_forecast_page_is_the_forecast_endpoint(client: TestClient) -> None:
    for at in ("2026-11-20T12:00:00Z", "2026-11-01T05:00:00Z"):
        f = api(client, f"/stats/forecast?at={at}")
        html = client.get(f"/forecast?at={at}").text
        assert metric(html, "projectedUSD") == usd(f["projectedUSD"])
        assert metric(html, "monthToDateUSD") == usd(f["monthToDateUSD"])
        assert metric(html, "dailyMeanUSD") == usd(f["dailyMeanUSD"])
        assert metric(html, "completeDays") == str(f["completeDays"])
        if f["interval"] is None:
            assert "no interval yet" in html
        else:
            assert metric(html, "intervalLow") == usd(f["interval"]["low"])
            assert metric(html, "intervalHigh") == usd(f["interval"]["high"])
            assert "95 % interval" in html
        assert f["method"] in unescape(html)
    assert f["interval"] is None  # the 1st of the month: no complete day yet
    assert client.get("/forecast?at=yesterday-ish").status_code == 400


def test_timeline_page_is_the_days_endpoint(client: TestClient) -> None:
    groups = api(client, "/stats/days")["groups"]
    page = rows(client.get("/timeline?unit=day").text, "<h2>Per day")
    assert page == [
        [
            g["key"],
            usd(g["costUSD"]),
            num(g["totalTokens"]),
            num(g["messages"]),
            num(g["llmCalls"]),
            num(g["toolCalls"]),
            num(g["sessions"]),
        ]
        for g in reversed(groups)
    ]
    assert len(page) >= 2


def test_tools_page_is_the_tools_endpoint(client: TestClient) -> None:
    tools = api(client, "/stats/tools")["tools"]
    totals = api(client, "/stats")["totals"]
    html = client.get("/tools").text
    assert metric(html, "toolCalls") == num(totals["toolCalls"])
    assert metric(html, "toolErrors") == num(totals["toolErrors"])
    page = rows(html, "<h2>Per tool")
    assert [r[:3] for r in page] == [[t["key"], num(t["toolCalls"]), num(t["toolErrors"])] for t in tools]
    assert tools


def test_agents_page_is_the_agents_endpoint(client: TestClient) -> None:
    groups = api(client, "/stats/agents")["groups"]
    html = client.get("/agents").text
    cards = re.findall(r'<div class="card agent"><h3>([^<]*)</h3>\s*<dl>(.*?)</dl>', html, re.S)
    shown = [(unescape(k), dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", body))) for k, body in cards]
    assert [(k, d["Cost"], d["Sessions"], d["Model calls"], d["Tool calls"]) for k, d in shown] == [
        (g["key"], usd(g["costUSD"]), num(g["sessions"]), num(g["llmCalls"]), num(g["toolCalls"]))
        for g in groups
    ]
    assert groups


def test_a_spawn_links_to_its_child_with_the_childs_cost(client: TestClient) -> None:
    listed = api(client, "/sessions?limit=100")["sessions"]
    (child,) = [s for s in listed if s["kind"] == "subagent"]
    parent = child["parentSessionId"]
    tree = api(client, f"/sessions/{child['sessionId']}/tree")
    html = client.get(f"/sessions/{parent}").text
    links = re.findall(r'<a class="spawn-link" href="/sessions/([^"]+)">([^<]*)</a>', html)
    assert links == [
        (child["sessionId"], f"→ child session {child['label']} · {usd(tree['total']['costUSD'])}")
    ]
    assert metric(html, "costUSD") == usd(api(client, f"/sessions/{parent}")["costUSD"])


def test_the_spawn_tree_reads_the_tree_not_every_session(filled: Store) -> None:
    listed = analytics.sessions(filled, Filters())
    (child,) = [s for s in listed if s["kind"] == "subagent"]
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement: str, parameters: Any, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(filled.engine, "before_cursor_execute", record)
    try:
        tree = data.spawn_tree(filled, child["sessionId"])
    finally:
        event.remove(filled.engine, "before_cursor_execute", record)
    assert tree is not None and tree["session"]["sessionId"] == child["parentSessionId"]  # from the root
    assert [k["session"]["sessionId"] for k in tree["children"]] == [child["sessionId"]]
    assert tree["rolledUpCostUSD"] == pytest.approx(tree["session"]["costUSD"] + child["costUSD"])
    assert data.spawn_tree(filled, "no-such-session") is None
    with filled.engine.connect() as conn:
        assert max(len(conn.exec_driver_sql(s, p).all()) for s, p in statements) <= 2 < len(listed)
