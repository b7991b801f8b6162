"""Registration of instances and agents: scopes, strict input, secrets shown once and stored encrypted."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clawscope.store import Store
from tests.support.remote import WEBHOOK, register, session_body, signed_headers
from tests.support.server import auth
from tests.support.stored import everything

INSTANCES = "/api/v1/openclaw/instances"
AGENTS = "/api/v1/openclaw/agents"


def test_instances_and_agents_are_registered_and_listed(client: TestClient, store: Store, make_key) -> None:
    key = make_key("admin")
    r = client.post(
        INSTANCES,
        json={
            "name": "my-openclaw",
            "gateway_url": "http://localhost:18789",
            "api_key": "gateway-token-XYZ-123",
            "otel_endpoint": "http://localhost:4318",
            "otel_enabled": True,
            "ingestion_mode": "trace_only",
        },
        headers=auth(key),
    )
    assert r.status_code == 201, r.text
    inst = r.json()
    assert inst["ingestion_mode"] == "trace_only" and inst["otel_enabled"] is True and inst["has_api_key"]
    assert "api_key" not in inst
    r = client.post(
        AGENTS,
        json={
            "instance_id": inst["id"],
            "agent_key": "pisama-intel",
            "agent_name": "Pisama Intel",
            "model": "m",
        },
        headers=auth(key),
    )
    assert r.status_code == 201, r.text
    secret = r.json()["webhook_secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    listed = client.get(INSTANCES, headers=auth(key)).json()["data"]
    assert [i["name"] for i in listed] == ["my-openclaw"]
    agents = client.get(AGENTS, headers=auth(key)).json()["data"]
    assert [a["agent_key"] for a in agents] == ["pisama-intel"]
    assert "webhook_secret" not in agents[0]
    everything_stored = everything(store)
    assert b"gateway-token-XYZ-123" not in everything_stored  # encrypted, not plain
    assert secret.encode() not in everything_stored
    listing = client.get(INSTANCES, headers=auth(key)).text + client.get(AGENTS, headers=auth(key)).text
    assert "gateway-token-XYZ-123" not in listing and secret not in listing


def test_registration_needs_ingest_write(client: TestClient, make_key) -> None:
    reader = make_key("stats:read")
    body = {"name": "x", "gateway_url": "http://localhost:1"}
    assert client.post(INSTANCES, json=body, headers=auth(reader)).status_code == 403
    assert client.get(AGENTS, headers=auth(reader)).status_code == 403
    assert client.post(INSTANCES, json=body).status_code == 401


def test_registering_and_rotating_need_admin_not_ingest_write(client: TestClient, make_key) -> None:
    """`ingest:write` is what every OTLP exporter and sync client holds: it must not mint secrets."""
    admin, writer = make_key("admin"), make_key("ingest:write", "stats:read", "sessions:read")
    instance_id, _ = register(client, admin)
    agent_id = client.get(AGENTS, headers=auth(writer)).json()["data"][0]["id"]  # listing stays open
    attempts = [
        client.post(INSTANCES, json={"name": "x", "gateway_url": "http://localhost:1"}, headers=auth(writer)),
        client.post(AGENTS, json={"instance_id": instance_id, "agent_key": "evil"}, headers=auth(writer)),
        client.post(f"{AGENTS}/{agent_id}/rotate-secret", headers=auth(writer)),
    ]
    for r in attempts:
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "insufficient_scope"
        assert r.json()["error"]["param"] == "admin"
        assert "webhook_secret" not in r.text
    assert [a["agent_key"] for a in client.get(AGENTS, headers=auth(admin)).json()["data"]] == ["main"]
    token = client.post("/api/v1/auth/token", json={"api_key": writer}).json()["access_token"]
    assert client.post(f"{AGENTS}/{agent_id}/rotate-secret", headers=auth(token)).status_code == 403


def test_invalid_input_is_a_422_never_a_500(client: TestClient, make_key) -> None:
    key = make_key("admin")
    good = {"name": "ok", "gateway_url": "http://localhost:18789"}
    for bad in (
        {**good, "name": "a\u0000b"},
        {**good, "name": "line\nbreak"},
        {**good, "name": ""},
        {**good, "gateway_url": "ftp://x/y"},
        {**good, "ingestion_mode": "everything"},
        {**good, "api_key": "tok\u0000en"},
        {**good, "unknown_field": 1},
        {"gateway_url": "http://localhost:18789"},
    ):
        r = client.post(INSTANCES, json=bad, headers=auth(key))
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["type"] == "validation_error"
    inst = client.post(INSTANCES, json=good, headers=auth(key)).json()
    assert client.post(INSTANCES, json=good, headers=auth(key)).status_code == 409
    r = client.post(AGENTS, json={"instance_id": inst["id"], "agent_key": "a\u0000"}, headers=auth(key))
    assert r.status_code == 422
    r = client.post(AGENTS, json={"instance_id": "no-such-instance", "agent_key": "a"}, headers=auth(key))
    assert r.status_code == 404
    ok = {"instance_id": inst["id"], "agent_key": "a"}
    assert client.post(AGENTS, json=ok, headers=auth(key)).status_code == 201
    assert client.post(AGENTS, json=ok, headers=auth(key)).status_code == 409


def test_rotating_the_secret_retires_the_old_one(client: TestClient, make_key) -> None:
    key = make_key("admin")
    instance_id, old = register(client, key)
    agent_id = client.get(AGENTS, headers=auth(key)).json()["data"][0]["id"]
    r = client.post(f"{AGENTS}/{agent_id}/rotate-secret", headers=auth(key))
    assert r.status_code == 200
    new = r.json()["webhook_secret"]
    assert new != old
    body = session_body(instance_id)
    assert client.post(WEBHOOK, content=body, headers=signed_headers(key, old, body)).status_code == 401
    assert client.post(WEBHOOK, content=body, headers=signed_headers(key, new, body)).status_code == 200
    assert client.post(f"{AGENTS}/nope/rotate-secret", headers=auth(key)).status_code == 404


def test_rotating_on_a_fresh_server_before_any_secret_exists_is_a_404(client: TestClient, make_key) -> None:
    """The first use of the encryption key creates it; that must not deadlock a write (SQLite)."""
    r = client.post(f"{AGENTS}/unknown/rotate-secret", headers=auth(make_key("admin")))
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
