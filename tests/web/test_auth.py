"""Auth, scopes, tokens, rate limits and the error envelope, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import jwt
import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.errors import UsageError
from clawscope.store import Store
from clawscope.web import create_app
from clawscope.web.auth import Principal, require
from tests.support.server import auth


def _envelope(resp: object, status: int, code: str) -> dict[str, object]:
    r = resp  # httpx.Response
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "param", "type"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


@pytest.fixture
def guarded(app: object) -> TestClient:
    """The app plus a probe route that needs `stats:read`."""

    @app.get("/api/v1/_probe")  # type: ignore[attr-defined]
    def probe(p: Principal = Depends(require("stats:read"))) -> dict[str, str]:  # noqa: B008
        return {"key": p.key_id}

    return TestClient(app)  # type: ignore[arg-type]


def test_health_needs_no_auth(client: TestClient) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["db"] == "ok"
    assert set(body["ingest"]) == {"lastIngestAt", "lagSeconds"}


def test_missing_and_invalid_credentials_are_401(guarded: TestClient, make_key: Callable[..., str]) -> None:
    err = _envelope(guarded.get("/api/v1/_probe"), 401, "unauthorized")
    assert err["type"] == "authentication_error"
    _envelope(guarded.get("/api/v1/_probe", headers=auth("cs_nope_nope")), 401, "invalid_api_key")
    key = make_key("stats:read")
    _envelope(guarded.get("/api/v1/_probe", headers=auth(key[:-2] + "xx")), 401, "invalid_api_key")
    assert guarded.get("/api/v1/_probe", headers=auth(key)).status_code == 200


def test_missing_scope_is_403(guarded: TestClient, make_key: Callable[..., str]) -> None:
    err = _envelope(
        guarded.get("/api/v1/_probe", headers=auth(make_key("sessions:read"))), 403, "insufficient_scope"
    )
    assert err["param"] == "stats:read" and err["type"] == "permission_error"
    assert guarded.get("/api/v1/_probe", headers=auth(make_key("admin"))).status_code == 200


def test_revoked_and_rotated_keys(guarded: TestClient, store: Store, make_key: Callable[..., str]) -> None:
    key = make_key("stats:read")
    new_plain, _ = store.keys.rotate(key)
    _envelope(guarded.get("/api/v1/_probe", headers=auth(key)), 401, "invalid_api_key")
    assert guarded.get("/api/v1/_probe", headers=auth(new_plain)).status_code == 200
    store.keys.revoke(new_plain)
    _envelope(guarded.get("/api/v1/_probe", headers=auth(new_plain)), 401, "invalid_api_key")


def test_only_a_hash_of_the_key_is_stored(store: Store, make_key: Callable[..., str]) -> None:
    key = make_key("stats:read")
    with store.engine.connect() as conn:
        dump = repr(conn.exec_driver_sql("SELECT * FROM api_keys").all())
    prefix, key_id, secret = key.split("_", 2)  # the secret part may itself contain "_"
    assert (prefix, len(secret)) == ("cs", 43)
    assert key not in dump and secret not in dump
    assert key_id in dump  # the key id is stored in clear (it finds the hash)
    assert [k.masked.endswith("********") for k in store.keys.all()] == [True]


def test_token_exchange(guarded: TestClient, make_key: Callable[..., str], store: Store) -> None:
    key = make_key("stats:read")
    _envelope(guarded.post("/api/v1/auth/token", json={"api_key": "cs_bad_bad"}), 401, "invalid_api_key")
    err = _envelope(guarded.post("/api/v1/auth/token", json={}), 422, "invalid_request")
    assert err["param"] == "api_key" and err["type"] == "validation_error"
    body = guarded.post("/api/v1/auth/token", json={"api_key": key}).json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 900
    assert body["scopes"] == ["stats:read"]
    assert guarded.get("/api/v1/_probe", headers=auth(body["access_token"])).status_code == 200
    forged = jwt.encode(
        {"sub": "x", "exp": 9999999999, "scopes": ["admin"]},
        "a-guessed-secret-of-enough-length-32b",
        algorithm="HS256",
    )
    _envelope(guarded.get("/api/v1/_probe", headers=auth(forged)), 401, "invalid_api_key")
    store.keys.revoke(key)  # the token dies with its key
    _envelope(guarded.get("/api/v1/_probe", headers=auth(body["access_token"])), 401, "invalid_api_key")


def test_rate_limit_headers_and_429(guarded: TestClient, make_key: Callable[..., str]) -> None:
    key = make_key("stats:read", rate_limit=3)
    remaining = []
    for _ in range(3):
        r = guarded.get("/api/v1/_probe", headers=auth(key))
        assert r.status_code == 200
        assert r.headers["X-RateLimit-Limit"] == "3"
        assert int(r.headers["X-RateLimit-Reset"]) > 0
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    r = guarded.get("/api/v1/_probe", headers=auth(key))
    _envelope(r, 429, "rate_limited")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Remaining"] == "0"
    # other keys are counted apart; errors after auth carry the headers too
    other = make_key("stats:read", rate_limit=3)
    assert guarded.get("/api/v1/_probe", headers=auth(other)).headers["X-RateLimit-Remaining"] == "2"
    r = guarded.get("/api/v1/_probe", headers=auth(make_key("sessions:read", rate_limit=7)))
    assert r.status_code == 403 and r.headers["X-RateLimit-Limit"] == "7"


def test_unknown_route_and_method_use_the_envelope(client: TestClient) -> None:
    _envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")
    _envelope(client.delete("/api/v1/health"), 405, "method_not_allowed")


def test_no_auth_is_refused_off_loopback(settings: Settings, store: Store) -> None:
    with pytest.raises(UsageError, match="--no-auth is refused"):
        create_app(replace(settings, no_auth=True, host="0.0.0.0"), store=store)
    app = create_app(replace(settings, no_auth=True, host="127.0.0.1"), store=store)

    @app.get("/api/v1/_probe")
    def probe(p: Principal = Depends(require("stats:read"))) -> dict[str, str]:  # noqa: B008
        return {"key": p.key_id}

    local = TestClient(app, base_url="http://127.0.0.1:8765")
    assert local.get("/api/v1/_probe").json() == {"key": ""}
    # DNS rebinding: a page on another name that resolves to 127.0.0.1 is refused
    rebound = TestClient(app, base_url="http://attacker.example:8765")
    assert rebound.get("/api/v1/_probe").status_code == 400


def test_cors_origins_are_configurable(settings: Settings, store: Store) -> None:
    app = create_app(replace(settings, cors_origins=("http://dash.local",)), store=store)
    r = TestClient(app).options(
        "/api/v1/health", headers={"Origin": "http://dash.local", "Access-Control-Request-Method": "GET"}
    )
    assert r.headers["access-control-allow-origin"] == "http://dash.local"
    r = TestClient(app).get("/api/v1/health", headers={"Origin": "http://evil.local"})
    assert "access-control-allow-origin" not in r.headers


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/health" in spec["paths"] and "/api/v1/auth/token" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_bodies_are_size_limited_before_auth(client: TestClient) -> None:
    big = b'{"api_key": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = client.post("/api/v1/auth/token", content=big, headers={"content-type": "application/json"})
    err = _envelope(r, 413, "payload_too_large")
    assert err["type"] == "invalid_request_error"
