"""The interactive parts of the dashboard over a real database (both backends): stacked chart data
equal to the API's per-day totals and zero-filled, click-through links, the pinned chart library, the
paged Sessions list, a paged replay of a long session, search, and downloads equal to the API."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from clawscope import analytics
from clawscope.analytics import browse
from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from clawscope.web import create_app
from clawscope.web.dashboard import HERE, chartdata, replay
from tests.support.builders import assistant, state_dir, user
from tests.support.builders import write_session as write_one
from tests.support.env import FIXTURES
from tests.support.long_session import WORD, write_session

LOCAL = "http://127.0.0.1"
# The pinned uPlot 1.6.32 (npm `uplot`, MIT): a changed file must be a deliberate upgrade.
VENDOR = {
    "uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
    "uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
    "LICENSE": "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
}
LONG = 5000


@pytest.fixture
def filled(store: Store, tmp_path: Path) -> Store:
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state)
    write_session(state, LONG)
    ingest(store, [state], instance="test-host", estimate=False)
    return store


@pytest.fixture
def client(settings: Settings, filled: Store):
    with TestClient(create_app(replace(settings, no_auth=True), store=filled), base_url=LOCAL) as c:
        yield c


def test_the_chart_library_is_the_pinned_file_served_from_the_package() -> None:
    folder = HERE / "static" / "vendor" / "uplot"
    for name, digest in VENDOR.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    base = (HERE / "templates" / "base.html").read_text()
    assert "/static/vendor/uplot/uPlot.iife.min.js" in base
    assert "http://" not in base and "https://" not in base  # nothing from a CDN


@pytest.mark.parametrize("stack", ["model", "trigger", "agent", "channel"])
def test_stacked_series_sum_to_the_api_per_day_and_fill_gaps(filled: Store, stack: str) -> None:
    f = Filters()
    doc = chartdata.stacked(filled, f, "day", stack, "cost", now_ms=1_795_500_000_000)
    days = {g["key"]: g["costUSD"] for g in analytics.stats(filled, f, "day")["groups"]}
    assert doc["empty"] is False and doc["unit"] == "USD"
    xs = doc["x"]
    assert all(b - a == 86_400 for a, b in itertools.pairwise(xs))  # every day, gaps included
    for i, sec in enumerate(xs):
        key = datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%d")
        total = sum(s["values"][i] for s in doc["series"])
        assert total == pytest.approx(days.get(key, 0.0), abs=1e-9), key
    assert any(sum(s["values"][i] for s in doc["series"]) == 0 for i in range(len(xs)))  # a zero day
    assert all(s["filter"].startswith(f"{stack}=") for s in doc["series"] if s["label"] != "other")
    assert doc["stack"] == stack
    empty = chartdata.stacked(filled, Filters(since_ms=0, until_ms=86_400_000), "day", "trigger", "cost", 0)
    assert empty["empty"] is True


def test_charts_and_click_through_links_on_pages(client: TestClient) -> None:
    html = client.get("/timeline?stack=trigger").text
    docs = re.findall(r'<script type="application/json">(.*?)</script>', html, re.S)
    assert len(docs) == 3 and all(orjson.loads(d)["stack"] == "trigger" for d in docs)
    models = client.get("/models").text
    assert 'href="/sessions?model=fake-model"' in models
    r = client.get("/sessions?model=fake-model")
    assert r.status_code == 200 and 'data-session="10000000-0000-4000-8000-000000005000"' in r.text
    assert "No sessions match" in client.get("/sessions?model=no-such-model").text


def test_the_overview_compares_with_the_previous_period(client: TestClient) -> None:
    html = client.get("/?range=custom&from=2026-11-21&to=2026-11-21").text
    assert 'id="comparison"' in html and 'data-delta="costUSD"' in html
    assert 'id="comparison"' not in client.get("/").text  # all time has no previous period


def test_sessions_are_paged_on_the_server(client: TestClient, filled: Store) -> None:
    total = len(analytics.sessions(filled, Filters()))
    first = client.get("/sessions?size=25&sort=cost").text
    assert first.count("data-session=") == min(total, 25)
    assert f"page 1 of {-(-total // 25)}" in first
    last = client.get(f"/sessions?size=25&sort=cost&page={-(-total // 25)}").text
    assert last.count("data-session=") == total - 25 * (-(-total // 25) - 1)
    assert "<th><a" in first and ">Trigger" in first


def test_a_long_session_replays_a_page_at_a_time(client: TestClient) -> None:
    sid = "10000000-0000-4000-8000-000000005000"
    html = client.get(f"/sessions/{sid}").text
    assert html.count('<li class="step') >= replay.PAGE // 2
    assert len(set(re.findall(r'id="entry-([^"]+)"', html))) <= replay.PAGE
    assert f"of {LONG:,}" in html and "page 1 of 25" in html
    assert "show all (1,500 lines)" in html  # the long output is collapsed
    assert "retry after a failed call" in html and "HTTP 500" in html
    steps = re.findall(r'<li class="step ([\w-]+)', html)
    assert steps.index("thinking") < steps.index("assistant")  # the thinking before its reply
    later = client.get(f"/sessions/{sid}?p=25").text
    assert "2026-11-22" in later  # a multi-day session shows dates
    assert "e0004999" in later and "e0000001" not in later


def test_search_finds_an_entry_and_links_to_its_replay_page(client: TestClient) -> None:
    html = client.get(f"/search?q={WORD.format(4001)}").text
    links = re.findall(r'class="hit-link" href="([^"]+)"', html)
    assert links == ["/sessions/10000000-0000-4000-8000-000000005000?p=21#entry-e0004001"]
    page = client.get(links[0].split("#")[0]).text
    assert 'id="entry-e0004001"' in page
    assert "<mark>" in html
    assert "No entry matches" in client.get(f"/search?q={WORD.format(4001)}&agent=nobody").text


def test_csv_and_json_downloads_equal_the_api(client: TestClient) -> None:
    api = client.get("/api/v1/stats/days").json()["groups"]
    rows = list(csv.DictReader(io.StringIO(client.get("/download/timeline.csv?unit=day").text)))
    assert [r["key"] for r in rows] == [g["key"] for g in api]
    assert [float(r["costUSD"]) for r in rows] == [g["costUSD"] for g in api]
    ours = client.get("/download/timeline.json?unit=day").json()
    assert [{k: r.get(k) for k in g} for r, g in zip(ours, api, strict=True)] == api  # the API's fields
    sessions = client.get("/download/sessions.json?sort=cost").json()
    assert len(sessions) == len(client.get("/api/v1/sessions?limit=500").json()["sessions"])
    assert client.get("/download/nothing.csv").status_code == 404


def test_a_sessions_page_reads_a_page_of_rows_not_every_session(
    client: TestClient, filled: Store, tmp_path: Path
) -> None:
    """Sorting, filters and paging happen in the database: each statement the page runs, run again,
    returns at most a page of rows, however many sessions match."""
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement: str, parameters: object, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    more = state_dir(tmp_path / "more")
    for n in range(12):  # sessions of one agent and kind: a facet is small, the list is not
        write_one(more, f"3a3a{n:04d}-0000-4000-8000-000000000000", [user("hi"), assistant(cost=n / 100)])
    ingest(filled, [tmp_path / "more"], instance="test-host", estimate=False)
    total = len(analytics.sessions(filled, Filters()))
    assert total > 12
    event.listen(filled.engine, "before_cursor_execute", record)
    try:
        for sort in ("cost", "model", "last", "duration"):
            html = client.get(f"/sessions?size=1&page=2&sort={sort}&dir=asc").text
            assert html.count("data-session=") == 1 and f"page 2 of {total}" in html
    finally:
        event.remove(filled.engine, "before_cursor_execute", record)
    with filled.engine.connect() as conn:
        counts = [(len(conn.exec_driver_sql(s, p).all()), s) for s, p in statements]  # type: ignore[arg-type]
    assert any("LIMIT" in s for _, s in counts)
    assert max(n for n, _ in counts) < total, [s for n, s in counts if n >= total]


def _used(store: Store, key: str, value: str) -> set[str]:
    """The sessions (ids) a chart's bar or slice of `key` = `value` stands for, found another way."""
    every = analytics.sessions(store, Filters())
    if key in ("agent", "trigger", "kind", "channel"):
        return {s["sessionId"] for s in every if s[key] == value}
    if key in ("model", "provider"):
        return {
            s["sessionId"]
            for s in every
            if any(m[key] == value for m in browse.session(store, s["sessionId"])["models"])
        }
    assert key == "tool"
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT s.session_id FROM tool_calls t JOIN sessions s ON s.sid = t.sid "
                "WHERE t.name = :v AND t.call_entry_id IS NOT NULL"
            ),
            {"v": value},
        )
        return {r[0] for r in rows}


def test_every_bar_and_slice_opens_the_sessions_behind_it(client: TestClient, filled: Store) -> None:
    followed = set()
    for path in ("/", "/models", "/tools", "/agents"):
        html = client.get(path).text
        charts = re.findall(r'<(?:svg|div class="donut")[^>]*>.*?</svg>', html, re.S)
        marks = sum(len(re.findall(r"<(?:rect|circle) ", c)) for c in charts)
        links = [unescape(h) for c in charts for h in re.findall(r'<a href="(/sessions\?[^"]+)">', c)]
        assert marks and len(links) >= marks - sum(c.count("<title>other:") for c in charts), path
        for link in set(links):
            (key, value), *_ = [kv for kv in parse_qsl(link.split("?", 1)[1]) if kv[0] != "range"]
            page = client.get(link + "&size=200").text
            shown = set(re.findall(r'data-session="([^"]+)"', page))
            assert shown and shown == _used(filled, key, value), link
            followed.add(key)
    assert followed >= {"trigger", "model", "provider", "tool", "agent"}


TABLE_PAGES = ("/", "/?range=custom&from=2026-11-21&to=2026-11-22", "/timeline", "/models", "/tools",
               "/sessions?size=2", "/findings", "/health", "/alerts")  # fmt: skip


def test_every_table_on_every_page_downloads_as_csv_and_json(client: TestClient) -> None:
    """Each table comes with its download links, and the download holds the table's rows (every page of
    the Sessions table)."""
    seen = set()
    for path in TABLE_PAGES:
        html = client.get(path).text
        body = html[html.index('<main id="content"') :]
        parts = re.split(r"(?=<table)", body)
        assert len(parts) > 1, path
        for before, table in itertools.pairwise(parts):
            m = re.findall(r'data-downloads="([\w-]+)">[^<]*<a href="([^"]+)"', before)
            assert m, (path, table[:80])  # the links right before the table
            name, csv_link = m[-1]
            json_link = unescape(csv_link).replace(".csv", ".json", 1)
            r = client.get(unescape(csv_link))
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), csv_link
            rows = client.get(json_link).json()
            body_rows = re.findall(
                r"<tr[^>]*>(?:(?!</tr>).)*?<td(?![^>]*class=\"empty\")",
                table[: table.index("</table>")],
                re.S,
            )
            shown = (
                int(re.sub(r"\D", "", re.search(r'id="session-count">([^<]*)<', html).group(1)))
                if name == "sessions"
                else len(body_rows)
            )
            assert len(rows) == shown, (path, name)
            assert len(list(csv.DictReader(io.StringIO(r.text)))) == len(rows), name
            seen.add(name)
    assert seen >= {"comparison", "top-sessions", "triggers", "timeline", "models", "providers", "tools",
                    "failures", "sessions", "findings", "findings-days", "sources", "problems", "alert-rules",
                    "alert-history"}  # fmt: skip
    sid = client.get("/api/v1/sessions?limit=1&sort=cost").json()["sessions"][0]["sessionId"]
    models = client.get(f"/download/session-models.json?session={sid}").json()
    assert models == client.get(f"/api/v1/sessions/{sid}").json()["models"] != []
    assert client.get("/download/session-models.json?session=nope").status_code == 404
