"""The dashboard's findings: the Findings page (counts by family and severity per day, the filtered
list linking to sessions), markers on the replay at the cited entries, the overview tile (both backends)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.detect.service import detect
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.web import create_app
from tests.detect.doubles import FailedToolDetector
from tests.support import builders as b

LOCAL = "http://127.0.0.1"
DET = {FailedToolDetector.id: FailedToolDetector()}


def failing(call_id: str, ts: str) -> list[dict]:
    call = b.assistant(tools=[b.tool_call(call_id, "exec", command="false")], ts=ts)
    return [call, b.tool_result(call_id, "exec", error=True, ts=ts)]


@pytest.fixture
def flagged(store: Store, tmp_path: Path) -> Store:
    sessions = b.state_dir(tmp_path / "openclaw")
    turns = [*failing("a1", "2026-11-01T10:00:00.000Z"), *failing("a2", "2026-11-02T10:00:00.000Z")]
    b.write_session(sessions, "s-flagged", [b.user("go"), *turns], key="agent:main:main")
    b.write_session(sessions, "s-clean", [b.user("hi"), b.assistant()], key="agent:main:x")
    ingest(store, [tmp_path / "openclaw"], instance="i", estimate=False)
    detect(store, {}, detectors=DET, publish=False)
    return store


@pytest.fixture
def client(settings: Settings, flagged: Store) -> Iterator[TestClient]:
    with TestClient(create_app(replace(settings, no_auth=True), store=flagged), base_url=LOCAL) as c:
        yield c


def test_findings_page_counts_lists_and_filters(client: TestClient, flagged: Store) -> None:
    html = client.get("/findings").text
    assert re.search(r'data-severity="warning">2<', html) and re.search(r'data-severity="critical">0<', html)
    assert "2026-11-01" in html and "2026-11-02" in html  # per day
    anchors = {f.anchor_entry_id for f in flagged.findings.of_session("s-flagged")}
    for a in anchors:
        assert f'href="/sessions/s-flagged#entry-{a}"' in html
    assert "No findings match." in client.get("/findings?family=loop").text
    assert "No findings match." in client.get("/findings?status=resolved").text
    assert "exec failed" in client.get("/findings?severity=warning&agent=main").text
    assert "No findings match." in client.get("/findings?range=custom&from=2026-11-03&to=2026-11-04").text


def test_replay_markers_at_the_cited_entries(client: TestClient, flagged: Store) -> None:
    html = client.get("/sessions/s-flagged").text
    found = flagged.findings.of_session("s-flagged")
    for f in found:
        for entry_id in f.entry_ids:
            assert f'id="entry-{entry_id}"' in html
        assert html.count(f'data-finding="{f.id}"') == len(f.entry_ids)  # one marker per cited entry
    assert 'id="findings"' in html and "data-finding" not in client.get("/sessions/s-clean").text


def test_overview_tile(client: TestClient) -> None:
    html = client.get("/").text
    assert re.search(r'data-metric="findings">2<', html) and 'href="/findings"' in html


def test_findings_page_needs_sessions_read(settings: Settings, flagged: Store) -> None:
    with TestClient(create_app(settings, store=flagged), base_url=LOCAL) as c:
        r = c.get("/findings", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]


def test_findings_page_says_whether_a_judge_is_configured(settings: Settings, flagged: Store) -> None:
    with TestClient(create_app(replace(settings, no_auth=True), store=flagged), base_url=LOCAL) as c:
        off = c.get("/findings").text
    assert "Semantic judge <b>off</b>" in off and "nothing leaves this machine" in off
    judged = replace(
        settings,
        no_auth=True,
        judge={"base_url": "http://127.0.0.1:11434/v1", "model": "qwen-test", "daily_cap_usd": 2},
    )
    with TestClient(create_app(judged, store=flagged), base_url=LOCAL) as c:
        on = c.get("/findings").text
    assert "Semantic judge <b>on</b>" in on and "qwen-test at 127.0.0.1:11434" in on
