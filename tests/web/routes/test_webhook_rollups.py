"""Webhook sessions leave their analytics roll-ups owed (store/rollup_pending.py): the stats read over
the API right after a burst are exact, equal to a from-scratch rebuild of every roll-up (both backends)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from clawscope.store import Store
from tests.support.remote import WEBHOOK, register, session_body, signed_headers

PAGES = (
    "/api/v1/stats",
    "/api/v1/stats/models",
    "/api/v1/stats/hours",
    "/api/v1/stats/days",
    "/api/v1/stats/tools",
)


def _owed(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM rollup_pending")).scalar_one())


def _read(client: TestClient, key: str) -> dict[str, Any]:
    out = {}
    for page in PAGES:
        r = client.get(page, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        out[page] = r.json()
    return out


def test_stats_read_right_after_a_webhook_burst_are_exact(
    app: FastAPI, client: TestClient, store: Store, make_key: Callable[..., str]
) -> None:
    committer = app.state.clawscope.webhooks
    committer.settle_idle_s = committer.settle_every_s = 3600.0  # the server does not settle: the reader must
    key, reader = make_key("ingest:write"), make_key("stats:read")
    instance_id, secret = register(client, make_key("admin"))
    ids = [f"burst-{i:02d}" for i in range(12)]
    for i, sid in enumerate(ids):
        body = session_body(instance_id, session_id=sid, text=f"w{i}", n=1 + i % 4)
        body = body.replace(b"2026-11-01T10:", f"2026-11-0{1 + i % 2}T{9 + i % 3}:".encode())
        r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
        assert r.status_code == 200, r.text
    assert _owed(store) == len(ids)
    got = _read(client, reader)
    assert _owed(store) == 0
    assert got["/api/v1/stats"]["totals"]["sessions"] == len(ids)
    assert got["/api/v1/stats"]["totals"]["llmCalls"] == sum(1 + i % 4 for i in range(len(ids)))
    store.refresh(ids)  # from scratch: every roll-up of every session rebuilt from its rows
    store.metrics.rebuild()
    assert _read(client, reader) == got
