"""The dashboard never shows a green live badge over sessions that failed to read (issue 13, item 7)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.web import create_app
from tests.ingest.test_incremental import build_history

LOCAL = "http://127.0.0.1"


def _page(settings: Settings, store: Store) -> str:
    with TestClient(create_app(replace(settings, no_auth=True), store=store), base_url=LOCAL) as c:
        r = c.get("/")
        assert r.status_code == 200
        return r.text


def test_an_unreadable_file_turns_the_badge_amber_and_says_so(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=2, turns=1)
    ingest(store, [root], instance="t")
    html = _page(settings, store)
    assert 'data-health="degraded"' not in html and "unreadable-banner" not in html
    os.mkfifo(root / "agents" / "main" / "sessions" / "pipe.jsonl")
    ingest(store, [root], instance="t")
    html = _page(settings, store)
    assert 'data-health="degraded"' in html
    assert 'id="unreadable-banner">1 file(s)' in html
