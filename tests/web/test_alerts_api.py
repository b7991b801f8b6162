"""`/api/v1/alerts/…` on both backends: scopes, CRUD, clear 422s for bad rules, write-only secrets,
"send a test" against a real receiver, history with attempts, silences, and the OpenAPI spec."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.receivers import HttpReceiver
from tests.support.server import auth

RULE = {"name": "spend", "measure": "cost", "threshold": 5, "window": "day"}


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as r:
        yield r


def test_scopes(client: TestClient, make_key: Callable[..., str]) -> None:
    stats, reader, writer = (auth(make_key(s)) for s in ("stats:read", "alerts:read", "alerts:write"))
    assert client.get("/api/v1/alerts/rules", headers=stats).status_code == 403
    assert client.get("/api/v1/alerts/rules", headers=reader).status_code == 200
    assert client.post("/api/v1/alerts/rules", json=RULE, headers=reader).status_code == 403
    assert client.get("/api/v1/alerts/history", headers=writer).status_code == 403
    assert client.post("/api/v1/alerts/rules", json=RULE, headers=writer).status_code == 201


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"measure": "vibes"}, "unknown measure 'vibes'"),
        ({"threshold": -3}, "threshold must not be negative"),
        ({"channels": [{"kind": "slack", "url": "hooks.slack.com/x"}]}, "malformed slack URL"),
        ({"channels": [{"kind": "webhook", "url": "https://no-such-host.invalid/h"}]}, "unreachable host"),
    ],
)
def test_bad_rules_are_a_clear_422(
    client: TestClient, make_key: Callable[..., str], change: dict[str, object], says: str
) -> None:
    r = client.post("/api/v1/alerts/rules", json={**RULE, **change}, headers=auth(make_key("alerts:write")))
    assert r.status_code == 422
    assert says in r.json()["error"]["message"]


def test_crud_test_and_history(
    client: TestClient, make_key: Callable[..., str], receiver: HttpReceiver
) -> None:
    h = auth(make_key("alerts:write", "alerts:read"))
    hook = {"kind": "webhook", "url": receiver.url + "/h", "secret": "whsec_c2VjcmV0", "id": "hk"}
    made = client.post("/api/v1/alerts/rules", json={**RULE, "id": "spend", "channels": [hook]}, headers=h)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["channels"][0]["hasSecret"] is True
    assert "secret" not in body["channels"][0]
    assert "whsec_" not in made.text
    assert client.post("/api/v1/alerts/rules", json={**RULE, "id": "spend"}, headers=h).status_code == 409
    ids = [r["id"] for r in client.get("/api/v1/alerts/rules", headers=h).json()["data"]]
    assert "spend" in ids
    assert "default-session-cost" in ids  # the shipped rules, off
    put = client.put(
        "/api/v1/alerts/rules/spend", json={**RULE, "threshold": 7, "channels": [hook]}, headers=h
    )
    assert put.json()["threshold"] == 7
    sent = client.post("/api/v1/alerts/rules/spend/test", headers=h)
    assert sent.status_code == 200
    assert sent.json()["deliveries"][0]["status"] == "sent"
    assert receiver.requests[0].headers["webhook-id"] == sent.json()["deliveries"][0]["deliveryId"]
    hist = client.get("/api/v1/alerts/history", headers=h).json()["data"]
    assert hist[0]["kind"] == "test"
    assert hist[0]["deliveries"][0]["attempts"][0]["statusCode"] == 200
    sil = client.post("/api/v1/alerts/silences", json={"rule_id": "spend", "until_ms": 2**45}, headers=h)
    assert sil.status_code == 201
    assert [s["silence_id"] for s in client.get("/api/v1/alerts/silences", headers=h).json()["data"]] == [
        sil.json()["silence_id"]
    ]
    assert client.delete(f"/api/v1/alerts/silences/{sil.json()['silence_id']}", headers=h).status_code == 204
    assert client.get("/api/v1/alerts/firing", headers=h).json() == {"data": []}
    assert client.delete("/api/v1/alerts/rules/spend", headers=h).status_code == 204
    assert client.get("/api/v1/alerts/rules/spend", headers=h).status_code == 404
    assert client.post("/api/v1/alerts/rules/spend/test", headers=h).status_code == 404


def test_openapi_lists_the_alert_routes(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in ("/api/v1/alerts/rules", "/api/v1/alerts/rules/{rule_id}", "/api/v1/alerts/rules/{rule_id}/test",
              "/api/v1/alerts/history", "/api/v1/alerts/firing", "/api/v1/alerts/silences"):  # fmt: skip
        assert p in paths
    assert "422" in paths["/api/v1/alerts/rules"]["post"]["responses"]
