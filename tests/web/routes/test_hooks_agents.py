"""Event webhooks get per-agent secrets (issue 13, item 13): a request naming a registered agent
(`X-Clawscope-Agent` or `?agent=`) is checked against that agent's own webhook secret, never the
server-wide one, and its observation is filed under the agent's instance.

Each forgery is a function `(client, a, b) -> response`, so the attack tier can run the same cases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clawscope import webhooks
from clawscope.store import Store
from tests.support.remote import register
from tests.support.server import auth

URL = "/api/v1/openclaw/events"
EVENT = {"event": "session_start", "timestamp": 1795238960015, "data": {"context": {"sessionId": "s-1"}}}
Agent = tuple[str, str]  # (agent id, secret)


def post(client: TestClient, secret: str, body: bytes | None = None, **headers: str) -> Any:
    body = body if body is not None else json.dumps(EVENT).encode()
    h = {
        "Content-Type": "application/json",
        "X-OpenClaw-Signature": webhooks.signature(secret.encode(), body),
    }
    return client.post(URL, content=body, headers={**h, **headers})


def signed_by_another_agents_secret(client: TestClient, a: Agent, b: Agent) -> Any:
    return post(client, b[1], **{"X-Clawscope-Agent": a[0]})


def unknown_agent(client: TestClient, a: Agent, b: Agent) -> Any:
    return post(client, a[1], **{"X-Clawscope-Agent": "no-such-agent"})


def no_agent_and_no_server_secret(client: TestClient, a: Agent, b: Agent) -> Any:
    return post(client, a[1])


def agent_secret_with_a_tampered_body(client: TestClient, a: Agent, b: Agent) -> Any:
    body = json.dumps(EVENT).encode()
    sig = webhooks.signature(a[1].encode(), body)
    tampered = body.replace(b"s-1", b"s-2")
    return client.post(
        URL,
        content=tampered,
        headers={"Content-Type": "application/json", "X-OpenClaw-Signature": sig, "X-Clawscope-Agent": a[0]},
    )


FORGERIES: list[tuple[Callable[..., Any], str]] = [
    (signed_by_another_agents_secret, "invalid_signature"),
    (unknown_agent, "unknown_agent"),
    (no_agent_and_no_server_secret, "invalid_signature"),
    (agent_secret_with_a_tampered_body, "invalid_signature"),
]


@pytest.fixture
def agents(client: TestClient, make_key: Callable[..., str]) -> tuple[Agent, Agent]:
    admin = make_key("admin")
    out = []
    for _ in range(2):
        _, secret = register(client, admin)
        listed = client.get("/api/v1/openclaw/agents", headers=auth(admin)).json()["data"]
        out.append((listed[-1]["id"], secret))
    return out[0], out[1]


def test_an_agent_signs_with_its_own_secret(
    client: TestClient, store: Store, agents: tuple[Agent, Agent]
) -> None:
    a, _ = agents
    r = post(client, a[1], **{"X-Clawscope-Agent": a[0]})
    assert r.status_code == 202, r.text
    by_query = client.post(
        f"{URL}?agent={a[0]}",
        content=json.dumps({**EVENT, "timestamp": 1795238960016}).encode(),
        headers={
            "Content-Type": "application/json",
            "X-OpenClaw-Signature": webhooks.signature(
                a[1].encode(), json.dumps({**EVENT, "timestamp": 1795238960016}).encode()
            ),
        },
    )
    assert by_query.status_code == 202, by_query.text
    rows = store.observations.query(source="hook", category=None, session_id=None, limit=10)
    instances = {row["instance"] for row in rows}
    assert len(rows) == 2 and instances and "test-host" not in instances  # filed under the agent's instance


@pytest.mark.parametrize(("forgery", "code"), FORGERIES, ids=[f.__name__ for f, _ in FORGERIES])
def test_forgeries_are_refused(
    client: TestClient, store: Store, agents: tuple[Agent, Agent], forgery: Callable[..., Any], code: str
) -> None:
    r = forgery(client, *agents)
    assert (r.status_code, r.json()["error"]["code"]) == (401, code), r.text
    assert store.observations.query(source="hook", category=None, session_id=None, limit=10) == []
