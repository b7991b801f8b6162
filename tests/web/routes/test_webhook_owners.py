"""A session first stored through one registered instance cannot be appended to by another instance's
agent (issue 13, item 12); sessions stay global, so local ingest and sync still deduplicate.

Each abuse is a function `(client, api key, own agent, other agent) -> response`, so the attack tier
can run the same cases.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clawscope.store import Store
from tests.support.remote import WEBHOOK, register, session_body, signed_headers

Agent = tuple[str, str]  # (instance id, webhook secret)


def push(client: TestClient, key: str, agent: Agent, sid: str, text: str = "hello", n: int = 2) -> Any:
    body = session_body(agent[0], session_id=sid, text=text, n=n)
    return client.post(WEBHOOK, content=body, headers=signed_headers(key, agent[1], body))


def other_instance_appends(client: TestClient, key: str, own: Agent, other: Agent, sid: str) -> Any:
    return push(client, key, other, sid, text="injected", n=3)


def other_instance_resends_the_same_entries(
    client: TestClient, key: str, own: Agent, other: Agent, sid: str
) -> Any:
    return push(client, key, other, sid)  # even with nothing new: the answer would confirm the session


def other_instance_omits_its_instance_id(
    client: TestClient, key: str, own: Agent, other: Agent, sid: str
) -> Any:
    payload = json.loads(session_body(other[0], session_id=sid, text="injected", n=3))
    payload.pop("instance_id")  # the agent key alone names the signer (agent "main" is on both: ambiguous)
    body = json.dumps(payload).encode()
    return client.post(WEBHOOK, content=body, headers=signed_headers(key, other[1], body))


ABUSES: list[tuple[Callable[..., Any], int, str]] = [
    (other_instance_appends, 403, "session_owned_elsewhere"),
    (other_instance_resends_the_same_entries, 403, "session_owned_elsewhere"),
    (other_instance_omits_its_instance_id, 401, "unknown_agent"),
]


@pytest.fixture
def two_instances(client: TestClient, make_key: Callable[..., str]) -> tuple[str, Agent, Agent]:
    admin = make_key("admin")
    return make_key("ingest:write"), register(client, admin), register(client, admin)


def _raw_count(store: Store) -> int:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM entries")).scalar_one())


@pytest.mark.parametrize(("abuse", "status", "code"), ABUSES, ids=[a.__name__ for a, _, _ in ABUSES])
def test_another_instance_cannot_append(
    client: TestClient,
    store: Store,
    two_instances: tuple[str, Agent, Agent],
    abuse: Callable[..., Any],
    status: int,
    code: str,
) -> None:
    key, own, other = two_instances
    sid = str(uuid.uuid4())
    assert push(client, key, own, sid).status_code == 200
    before = _raw_count(store)
    r = abuse(client, key, own, other, sid)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert _raw_count(store) == before  # nothing of it was stored
    appended = push(client, key, own, sid, text="more", n=3)  # the owner still appends
    assert appended.status_code == 200 and appended.json()["new_entries"] > 0


def test_a_new_session_of_the_other_instance_is_its_own(
    client: TestClient, two_instances: tuple[str, Agent, Agent]
) -> None:
    key, own, other = two_instances
    assert push(client, key, own, str(uuid.uuid4())).status_code == 200
    assert push(client, key, other, str(uuid.uuid4())).status_code == 200
