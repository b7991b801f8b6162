"""The signed session webhook: acceptance, every rejection, idempotence, counting once with local ingest."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from clawscope import analytics
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from tests.support.remote import WEBHOOK, register, rounded, session_body, signed_headers
from tests.support.server import LiveServer


def totals(store: Store) -> dict[str, object]:
    return dict(rounded(analytics.stats(store, Filters())["totals"]))


@pytest.fixture
def agent(client: TestClient, make_key: Callable[..., str]) -> tuple[str, str, str]:
    key = make_key("ingest:write")
    instance_id, secret = register(client, make_key("admin"))
    return key, instance_id, secret


def test_a_signed_session_is_stored_and_counted(client: TestClient, store: Store, agent) -> None:
    key, instance_id, secret = agent
    body = session_body(instance_id, n=3)
    r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
    assert r.status_code == 200, r.text
    assert r.json()["new_entries"] == 10
    t = totals(store)
    assert (t["sessions"], t["llmCalls"], t["toolCalls"], t["tokensIn"]) == (1, 3, 3, 300)
    assert t["costUSD"] == pytest.approx(0.00135)


def test_resending_the_same_session_is_idempotent(client: TestClient, store: Store, agent) -> None:
    key, instance_id, secret = agent
    body = session_body(instance_id, session_id=str(uuid.uuid4()))
    for _ in range(3):
        r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
        assert r.status_code == 200, r.text
    assert r.json()["new_entries"] == 0
    t = totals(store)
    assert (t["sessions"], t["llmCalls"], t["toolCalls"], t["messages"]) == (1, 3, 3, 9)
    with store.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM entries")).scalar_one() == 10


def test_pisama_header_aliases_and_bearer_key(client: TestClient, store: Store, agent) -> None:
    key, instance_id, secret = agent
    body = session_body(instance_id)
    h = signed_headers(key, secret, body, prefix="X-Pisama")
    assert client.post(WEBHOOK, content=body, headers=h).status_code == 200
    body2 = session_body(instance_id)
    h2 = signed_headers(key, secret, body2)
    del h2["X-Clawscope-API-Key"]
    h2["Authorization"] = f"Bearer {key}"
    assert client.post(WEBHOOK, content=body2, headers=h2).status_code == 200
    assert totals(store)["sessions"] == 2


def test_the_seed_payload_with_events_only_is_accepted(client: TestClient, store: Store, agent) -> None:
    key, instance_id, secret = agent
    payload = {
        "session_id": str(uuid.uuid4()),
        "instance_id": instance_id,
        "agent_name": "main",
        "started_at": "2026-11-01T10:00:00Z",
        "finished_at": "2026-11-01T10:05:00Z",
        "status": "completed",
        "message_count": 3,
        "events": [
            {
                "type": "tool.call",
                "timestamp": "2026-11-01T10:01:00Z",
                "data": {"name": "web_search", "input": {}},
            },
            {
                "type": "tool.result",
                "timestamp": "2026-11-01T10:01:02Z",
                "data": {"name": "web_search", "status": "completed"},
            },
            {"type": "message.sent", "timestamp": "2026-11-01T10:02:00Z", "data": {"content": "done"}},
        ],
        "elevated_mode": False,
        "sandbox_enabled": True,
    }
    body = json.dumps(payload).encode()
    for _ in range(2):
        r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
        assert r.status_code == 200, r.text
    groups = analytics.stats(store, Filters(), by="tool")["groups"]
    assert [(g["key"], g["toolCalls"], g["toolErrors"]) for g in groups] == [("web_search", 1, 0)]
    rows = analytics.sessions(store, Filters())
    assert rows[0]["status"] == "completed" and rows[0]["agent"] == "main"


def _error(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def test_every_rejection_uses_the_envelope(client: TestClient, store: Store, agent, make_key) -> None:
    key, instance_id, secret = agent
    body = session_body(instance_id)
    post = lambda b, h: client.post(WEBHOOK, content=b, headers=h)  # noqa: E731
    # bad signature: the body changed after signing, or the wrong secret
    h = signed_headers(key, secret, body)
    assert _error(post(body.replace(b"hello", b"HELLO"), h)) == (401, "invalid_signature")
    assert _error(post(body, signed_headers(key, "whsec_wrong", body))) == (401, "invalid_signature")
    h = signed_headers(key, secret, body)
    h["X-Clawscope-Signature"] = h["X-Clawscope-Signature"].replace("sha256=", "sha1=")
    assert _error(post(body, h)) == (401, "invalid_signature")
    # bad or missing API key; a key without ingest:write
    assert _error(post(body, signed_headers("cs_nope_nope", secret, body)))[0] == 401
    h = signed_headers(key, secret, body)
    del h["X-Clawscope-API-Key"]
    assert _error(post(body, h))[0] == 401
    assert _error(post(body, signed_headers(make_key("stats:read"), secret, body)))[0] == 403
    # stale and future timestamps, and a missing one
    old = int(time.time()) - 11
    assert _error(post(body, signed_headers(key, secret, body, timestamp=old))) == (401, "stale_timestamp")
    future = int(time.time()) + 60
    assert _error(post(body, signed_headers(key, secret, body, timestamp=future))) == (401, "stale_timestamp")
    h = signed_headers(key, secret, body)
    del h["X-Clawscope-Timestamp"]
    assert _error(post(body, h)) == (401, "stale_timestamp")
    # an agent nobody registered
    other = body.replace(b'"agent_name": "main"', b'"agent_name": "ghost"')
    assert _error(post(other, signed_headers(key, secret, other))) == (401, "unknown_agent")
    # replayed nonce
    h = signed_headers(key, secret, body, nonce="nonce-0001")
    assert post(body, h).status_code == 200
    assert _error(post(body, h)) == (409, "replayed_nonce")
    # invalid payloads (signed, so only the content is wrong)
    for bad in (
        b"not json",
        b"{}",
        json.dumps({"session_id": "a\u0000b", "agent_name": "main", "instance_id": instance_id}).encode(),
        json.dumps({"session_id": "s\n1", "agent_name": "main", "instance_id": instance_id}).encode(),
        json.dumps(
            {"session_id": "s", "agent_name": "main", "instance_id": instance_id, "entries": 5}
        ).encode(),
        json.dumps(
            {"session_id": "s", "agent_name": "main", "instance_id": instance_id, "metas": [{"kind": 7}]}
        ).encode(),
    ):
        r = post(bad, signed_headers(key, secret, bad))
        assert r.status_code in (401, 422), bad
        if bad != b"{}":
            assert r.status_code == 422, (bad, r.text)
    assert totals(store)["sessions"] == 1  # only the one accepted above


def test_a_record_postgres_cannot_store_is_a_422_not_a_500(client: TestClient, store: Store, agent) -> None:
    key, _instance_id, secret = agent
    rec = {"type": "message", "id": "x\u0000y", "message": {"role": "user", "content": "hi"}}
    body = json.dumps({"session_id": "nul-1", "agent_name": "main", "entries": [rec]}).encode()
    r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
    assert r.status_code in (200, 422), r.text  # SQLite stores it; PostgreSQL cannot: a clean 422
    if store.engine.dialect.name == "postgresql":
        assert r.status_code == 422


def test_too_large_bodies_are_refused_while_reading(settings, store: Store, make_key) -> None:
    from dataclasses import replace

    from clawscope.web import create_app

    app = create_app(replace(settings, webhook_max_bytes=4096), store=store)
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        key = make_key("ingest:write")
        instance_id, secret = register(http, make_key("admin"))
        body = session_body(instance_id, text="x" * 4000)
        r = http.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
        assert _error(r) == (413, "payload_too_large")

        def chunks():  # no Content-Length: the limit holds while streaming
            for i in range(0, len(body), 1000):
                yield body[i : i + 1000]

        r = http.post(WEBHOOK, content=chunks(), headers=signed_headers(key, secret, body))
        assert _error(r) == (413, "payload_too_large")
        small = session_body(instance_id, n=1)
        assert len(small) < 4096
        assert (
            http.post(WEBHOOK, content=small, headers=signed_headers(key, secret, small)).status_code == 200
        )


def test_a_session_also_ingested_locally_counts_once(
    client: TestClient, store: Store, agent, fixture_copy
) -> None:
    """Local ingest, then the same sessions by webhook (with other positions): nothing doubles."""
    key, _instance_id, secret = agent
    state: Path = fixture_copy("openclaw-2026.3.24-jsonl")
    ingest(store, [state], instance="local", estimate=False)
    before = totals(store)
    for path in sorted((state / "agents/main/sessions").glob("*.jsonl")):
        recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        body = json.dumps({"session_id": path.stem, "agent_name": "main", "entries": recs}).encode()
        r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
        assert r.status_code == 200, r.text
        assert r.json()["new_entries"] == 0
    assert totals(store) == before


def test_a_session_sent_first_then_ingested_locally_counts_once(
    client: TestClient, store: Store, agent, fixture_copy
) -> None:
    key, _instance_id, secret = agent
    state: Path = fixture_copy("openclaw-2026.3.24-jsonl")
    for path in sorted((state / "agents/main/sessions").glob("*.jsonl")):
        recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        body = json.dumps({"session_id": path.stem, "agent_name": "main", "entries": recs}).encode()
        assert (
            client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body)).status_code == 200
        )
    pushed = totals(store)
    report = ingest(store, [state], instance="local", estimate=False)
    assert report.entries == 0 and report.llm_calls == 0
    assert totals(store) == pushed
    assert pushed["llmCalls"] == 13 and pushed["toolCalls"] == 3  # the sample's exact numbers


def test_a_session_deleted_in_clawscope_is_not_stored_again(client: TestClient, store: Store, agent) -> None:
    from sqlalchemy import text

    key, instance_id, secret = agent
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO deleted_sessions (session_id, deleted_ms) VALUES ('gone-1', 1)"))
    body = session_body(instance_id, session_id="gone-1")
    r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
    assert r.status_code == 200 and r.json()["new_entries"] == 0
    assert totals(store)["sessions"] == 0


def test_a_deeply_nested_body_is_a_clean_422_read_before_the_secret(
    client: TestClient, store: Store, agent
) -> None:
    """The fields that find the secret are read with a depth limit: a deep body never reaches a
    recursive decoder (a 500 before), whether signed or not, and nothing is stored."""
    key, instance_id, secret = agent
    head = b'{"agent_name": "main", "instance_id": "' + instance_id.encode() + b'", "x": '
    for depth in (65, 1000, 100_000):
        deep = head + b"[" * depth + b"]" * depth + b"}"
        for headers in (signed_headers(key, secret, deep), signed_headers(key, "whsec_wrong", deep)):
            r = client.post(WEBHOOK, content=deep, headers=headers)
            assert _error(r) == (422, "invalid_request"), (depth, r.text)
            assert "nested deeper than 64 levels" in r.json()["error"]["message"]
    # a record nesting as deep as the limit allows is stored
    rec = {"type": "custom", "id": "deep-1", "data": {}}
    inner: object = []
    for _ in range(64 - 6):  # the payload, parts, part, entries, record and data levels above it
        inner = [inner]
    rec["data"] = {"x": inner}
    body = json.dumps({"session_id": "deep-ok", "agent_name": "main", "entries": [rec]}).encode()
    r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
    assert r.status_code == 200, r.text
    assert totals(store)["sessions"] == 1


def test_a_huge_field_or_body_is_a_clean_4xx(client: TestClient, store: Store, agent) -> None:
    key, instance_id, secret = agent
    # a megabyte agent name is refused by the bounded head decode (422), not looked up (401)
    big = json.dumps({"session_id": "s", "agent_name": "a" * 1_000_000, "instance_id": instance_id}).encode()
    r = client.post(WEBHOOK, content=big, headers=signed_headers(key, secret, big))
    assert _error(r) == (422, "invalid_request") and r.json()["error"]["param"] == "agent_name"
    # a body over webhook_max_bytes (8 MiB by default) is refused while reading
    huge = session_body(instance_id, text="x" * (9 << 20))
    r = client.post(WEBHOOK, content=huge, headers=signed_headers(key, secret, huge))
    assert _error(r) == (413, "payload_too_large")
    assert totals(store)["sessions"] == 0
