"""Webhook abuse against a real server on loopback (issue 13, items 12, 13 and 16): forged event webhooks
(another agent's secret, an unknown agent, no agent, a tampered body), one instance appending to another's
session, a replayed nonce and a stale timestamp. Each is refused with its own status and code, and nothing
of it is stored.

The forgeries and abuses are the unit tier's own case tables (`FORGERIES` in
tests/web/routes/test_hooks_agents.py, `ABUSES` in tests/web/routes/test_webhook_owners.py), each a
function of a client: here the client is a real HTTP connection to a server process's socket, not the
in-process ASGI transport.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from clawscope.config import Settings
from clawscope.store import Store
from tests.support.remote import WEBHOOK, register, session_body, signed_headers
from tests.support.server import LiveServer, auth
from tests.web.routes.test_hooks_agents import FORGERIES
from tests.web.routes.test_hooks_agents import post as post_event
from tests.web.routes.test_webhook_owners import ABUSES
from tests.web.routes.test_webhook_owners import push as push_session

Agent = tuple[str, str]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    # A replay must meet the nonce check, not the timestamp window, however slow the shared machine is.
    return Settings(db=db_url, home=tmp_path / "home", instance="test-host", webhook_window_s=3600)


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


@pytest.fixture
def admin(make_key: Callable[..., str]) -> str:
    return make_key("admin")


def _event_agents(http: httpx.Client, admin: str) -> tuple[Agent, Agent]:
    """Two registered agents (agent id, webhook secret), as the unit tier's `agents` fixture makes them."""
    out = []
    for _ in range(2):
        _, secret = register(http, admin)
        listed = http.get("/api/v1/openclaw/agents", headers=auth(admin)).json()["data"]
        out.append((listed[-1]["id"], secret))
    return out[0], out[1]


def _observations(store: Store) -> list[dict[str, Any]]:
    return store.observations.query(source="hook", category=None, session_id=None, limit=100)


def _entries(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM entries")).scalar_one())


def test_forged_event_webhooks_are_refused(http: httpx.Client, admin: str, store: Store) -> None:
    agents = _event_agents(http, admin)
    for forgery, code in FORGERIES:
        r = forgery(http, *agents)
        assert (r.status_code, r.json()["error"]["code"]) == (401, code), (forgery.__name__, r.text)
    assert _observations(store) == []  # nothing of any forgery was stored
    a = agents[0]
    accepted = post_event(http, a[1], **{"X-Clawscope-Agent": a[0]})
    assert accepted.status_code == 202, accepted.text  # the same server still takes the real agent
    assert len(_observations(store)) == 1


def test_another_instance_cannot_append_to_a_session(
    http: httpx.Client, admin: str, make_key: Callable[..., str], store: Store
) -> None:
    key = make_key("ingest:write")
    own, other = register(http, admin), register(http, admin)
    for abuse, status, code in ABUSES:
        sid = str(uuid.uuid4())
        assert push_session(http, key, own, sid).status_code == 200
        before = _entries(store)
        r = abuse(http, key, own, other, sid)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (abuse.__name__, r.text)
        assert _entries(store) == before
        appended = push_session(http, key, own, sid, text="more", n=3)
        assert appended.status_code == 200 and appended.json()["new_entries"] > 0


def test_a_replayed_or_stale_session_webhook_is_refused(
    http: httpx.Client, admin: str, make_key: Callable[..., str], store: Store
) -> None:
    key = make_key("ingest:write")
    instance, secret = register(http, admin)
    body = session_body(instance, session_id=str(uuid.uuid4()))
    headers = signed_headers(key, secret, body, nonce=uuid.uuid4().hex)
    first = http.post(WEBHOOK, content=body, headers=headers)
    assert first.status_code == 200, first.text
    stored = _entries(store)
    replayed = http.post(WEBHOOK, content=body, headers=headers)  # byte for byte, the same nonce
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (409, "replayed_nonce")
    other = session_body(instance, session_id=str(uuid.uuid4()))
    stale = signed_headers(key, secret, other, timestamp=int(time.time()) - 7 * 24 * 3600)
    r = http.post(WEBHOOK, content=other, headers=stale)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "stale_timestamp")
    forged = {**signed_headers(key, secret, other), "X-Clawscope-Signature": "sha256=" + "0" * 64}
    r = http.post(WEBHOOK, content=other, headers=forged)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_signature")
    tampered = other.replace(b"hello user 0", b"HELLO user 0")  # signed for the other body
    assert tampered != other
    r = http.post(WEBHOOK, content=tampered, headers=signed_headers(key, secret, other))
    assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_signature")
    assert _entries(store) == stored
