"""The Health page (both backends): problems by code with where and why, files per followed source, the
last pass; the live badge is amber when the last pass failed or problems are new, green otherwise."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.web import create_app
from tests.support.builders import assistant, state_dir, write_session

LOCAL = "http://127.0.0.1"


def badge(html: str) -> str:
    m = re.search(r'id="live"[^>]*data-health="(\w+)"', html)
    assert m
    return m.group(1)


def test_problems_by_code_and_the_amber_badge(settings: Settings, store: Store, tmp_path: Path) -> None:
    sessions = state_dir(tmp_path / "state")
    write_session(sessions, "a0000000-0000-0000-0000-000000000000", [assistant()])
    bad = sessions / "b0000000-0000-0000-0000-000000000000.jsonl"
    bad.write_text("not json\nnor this\n")
    app = create_app(replace(settings, no_auth=True), store=store)
    state = app.state.clawscope
    state.serving.state_dirs = [str(tmp_path / "state")]
    state.ingest.started_ms = 0  # everything this test ingests is new
    ingest(store, [tmp_path / "state"], instance="t")
    with TestClient(app, base_url=LOCAL) as client:
        html = client.get("/health").text
        (row,) = re.findall(r'<tr data-code="invalid_json">(.*?)</tr>', html, re.S)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert cells[:3] == ["invalid_json", "error", "2"]
        assert cells[3] == f"{bad} (line 2)"  # the latest one
        assert cells[4].startswith("invalid JSON")
        assert re.search(r"<td>[^<]*/state</td><td class=\"n\">2</td>", html)  # two transcript files
        assert badge(html) == badge(client.get("/").text) == "warn"
        state.ingest.started_ms = store.clock() + 1  # nothing new since then: green again
        assert badge(client.get("/").text) == "ok"
        state.ingest.last_failed_ms, state.ingest.last_error = 1, "disk on fire"
        html = client.get("/health").text
        assert badge(html) == "warn" and "last pass failed" in html and "disk on fire" in html


def test_the_last_pass_and_its_lag_per_source(settings: Settings, store: Store, tmp_path: Path) -> None:
    sessions = state_dir(tmp_path / "state")
    write_session(sessions, "a0000000-0000-0000-0000-000000000000", [assistant()])
    app = create_app(replace(settings, no_auth=True), store=store)
    state = app.state.clawscope
    state.serving.state_dirs = [str(tmp_path / "state")]
    ingest(store, [tmp_path / "state"], instance="t")
    with TestClient(app, base_url=LOCAL) as client:
        state.ingest.last_ms, state.ingest.passes = None, 0
        html = client.get("/health").text
        assert re.search(r'data-metric="lastPassAt">none yet<', html)
        (row,) = re.findall(r"<tr><td>[^<]*/state</td>(.*?)</tr>", html, re.S)
        assert re.findall(r"<td[^>]*>(.*?)</td>", row)[1:] == ["–", "–"]  # no pass, no lag
        state.ingest.last_ms, state.ingest.passes = 1_795_000_000_000, 3  # 2026-11-18 11:06:40 UTC
        html = client.get("/health").text
        assert re.search(r'data-metric="lastPassAt">2026-11-18 11:06:40<', html)
        assert "3 passes" in html
        (row,) = re.findall(r"<tr><td>[^<]*/state</td>(.*?)</tr>", html, re.S)
        files, last, lag = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert (files, last) == ("1", "2026-11-18 11:06:40") and lag != "–"  # how long ago it was
