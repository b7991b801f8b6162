"""Pruned sessions say so (both backends): the replay page and the session API show when and why the
transcript text went, the history API marks each entry, search says results may be missing; and
`serve`'s periodic retention prunes with the setting on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.timeutil import parse_iso_ms
from clawscope.web import create_app
from tests.support.env import FIXTURES

LOCAL = "http://127.0.0.1"
NOW = parse_iso_ms("2027-06-01T00:00:00Z")  # long after the fixture's sessions


@pytest.fixture
def pruned(settings: Settings, tmp_path: Path) -> Iterator[Store]:
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state)
    with Store(settings.db_url, clock=lambda: NOW, secrets_key_file=settings.secrets_key_path) as store:
        ingest(store, [state], instance="test-host", estimate=False)
        yield store


def test_replay_api_and_search_say_a_session_was_pruned(settings: Settings, pruned: Store) -> None:
    app = create_app(replace(settings, no_auth=True), store=pruned)
    with TestClient(app, base_url=LOCAL) as client:
        hits = client.get("/search?q=hello").text
        assert "Results may be missing" not in hits and "hit-link" in hits
        report = pruned.retention.run(30)
        assert report.sessions
        sid = report.sessions[0]
        detail = client.get(f"/api/v1/sessions/{sid}").json()
        assert detail["pruned"]["note"] == "transcript text pruned on 2027-06-01 by retention (30 days)"
        history = client.get(f"/api/v1/sessions/{sid}/history").json()
        assert history["pruned"] == detail["pruned"] and history["total"] == detail["entries"]
        assert history["entries"] and all(e["textPruned"] and e["record"] is None for e in history["entries"])
        assert any(e["llmCall"] for e in history["entries"]), "the model calls stay"
        page = client.get(f"/sessions/{sid}").text
        assert "Transcript text pruned on 2027-06-01 by retention (30 days)" in page
        assert "No transcript records stored" not in page
        hits = client.get("/search?q=hello").text
        assert f"Results may be missing for {len(report.sessions)} session" in hits
        assert "hit-link" not in hits


def test_serve_prunes_with_the_setting_on(settings: Settings, pruned: Store) -> None:
    app = create_app(replace(settings, no_auth=True, transcript_retention_days=400), store=pruned)
    with TestClient(app, base_url=LOCAL):
        state = app.state.clawscope
        state.prune_transcripts()
        assert pruned.retention.pruned_count() == 0  # idle for less than 400 days: kept
        state.settings = replace(state.settings, transcript_retention_days=30)
        state.prune_transcripts()
        assert pruned.retention.pruned_count() > 0
