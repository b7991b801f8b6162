"""`clawscope.client.Client` against a real server on loopback: health, token exchange, the error
envelope, the audit routes, retries on a real rate limit and on 5xx from a small loopback server that
answers from a script (real HTTP, no mocks). The clock is injected: `sleep` records the waits."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clawscope.audit.jws import KeySet
from clawscope.audit.layout import Layout
from clawscope.audit.merklelog import check_consistency_proof, check_inclusion_proof
from clawscope.client import Client, ClientError, parse_retry_after
from clawscope.config import Settings
from tests.support.auditdir import ALICE, JWKS, R1, build_audit_dir
from tests.support.server import LiveServer, free_port
from tests.support.vectors import VECTORS

Reply = tuple[int, dict[str, str], bytes]


def envelope(code: str, message: str, type_: str, param: str | None = None) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "param": param, "type": type_}}).encode()


ENVELOPE_503 = envelope("unavailable", "busy", "api_error")


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 answering each request with the next scripted reply."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, authorization
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests.append((self.command, self.path, self.headers.get("Authorization")))
                status, headers, body = outer.replies.pop(0) if len(outer.replies) > 1 else outer.replies[0]
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer  # noqa: N815 - http.server's names

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def waits() -> list[float]:
    return []


def scripted_client(url: str, waits: list[float], **options: object) -> Client:
    return Client(url, "cs_test_key", sleep=waits.append, jitter=lambda: 0.5, **options)  # type: ignore[arg-type]


# -- retries against the scripted server ------------------------------------------------------------


def test_retries_5xx_honouring_retry_after_then_succeeds(waits: list[float]) -> None:
    replies: list[Reply] = [
        (503, {"Retry-After": "2"}, ENVELOPE_503),
        (502, {"Content-Type": "text/html"}, b"<html>bad gateway</html>"),
        (200, {}, b'{"status":"ok"}'),
    ]
    with ScriptedServer(replies) as server, scripted_client(server.url, waits, backoff_s=0.5) as client:
        assert client.health() == {"status": "ok"}
    assert waits == [2 + 0.5 * 0.5, 0.5 * 2 * 0.5]  # Retry-After (+ jitter), then backoff of attempt 2
    assert [r[:2] for r in server.requests] == [("GET", "/api/v1/health")] * 3
    assert {r[2] for r in server.requests} == {"Bearer cs_test_key"}


def test_attempts_are_bounded_and_the_last_error_is_raised(waits: list[float]) -> None:
    with (
        ScriptedServer(
            [
                (
                    500,
                    {},
                    envelope("internal_error", "boom", "api_error"),
                )
            ]
        ) as server,
        scripted_client(server.url, waits, max_attempts=5, backoff_s=1.0, max_delay_s=3.0) as client,
        pytest.raises(ClientError) as exc,
    ):
        client.get("/anything")
    assert (exc.value.status, exc.value.code, exc.value.message, exc.value.attempts) == (
        500,
        "internal_error",
        "boom",
        5,
    )
    assert len(server.requests) == 5
    assert waits == [0.5, 1.0, 1.5, 1.5]  # full jitter (0.5) of 1, 2, 4 -> capped at 3, 8 -> 3


def test_retry_after_as_http_date_and_too_long_a_wait(waits: list[float]) -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412510.0) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after(" 7 ") == 7.0
    with (
        ScriptedServer(
            [
                (
                    429,
                    {"Retry-After": "3600"},
                    envelope("rate_limited", "slow down", "rate_limit_error"),
                )
            ]
        ) as server,
        scripted_client(server.url, waits) as client,
        pytest.raises(ClientError) as exc,
    ):
        client.get("/stats")
    assert (exc.value.status, exc.value.code, exc.value.attempts, exc.value.retry_after_s) == (
        429,
        "rate_limited",
        1,
        3600.0,
    )
    assert waits == [] and len(server.requests) == 1  # asked to wait an hour: reported, not slept


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_not_retried(waits: list[float], status: int) -> None:
    body = envelope("x", "no", "invalid_request_error", "p")
    with (
        ScriptedServer([(status, {}, body)]) as server,
        scripted_client(server.url, waits) as client,
        pytest.raises(ClientError) as exc,
    ):
        client.post("/receipts/verify", {"items": []})
    assert (exc.value.status, exc.value.param, exc.value.type) == (status, "p", "invalid_request_error")
    assert len(server.requests) == 1 and waits == []


def test_real_sleep_with_retry_after_zero() -> None:
    replies: list[Reply] = [(503, {"Retry-After": "0"}, ENVELOPE_503), (200, {}, b'{"ok":true}')]
    with ScriptedServer(replies) as server, Client(server.url, backoff_s=0.01) as client:
        assert client.get("/x") == {"ok": True}
    assert server.requests[0][2] is None  # no key, no Authorization header


def test_connection_refused_is_retried_then_reported(waits: list[float]) -> None:
    client = scripted_client(f"http://127.0.0.1:{free_port()}", waits, max_attempts=3)
    with client, pytest.raises(ClientError) as exc:
        client.health()
    assert (exc.value.status, exc.value.code, exc.value.attempts) == (0, "connection_error", 3)
    assert len(waits) == 2


def test_an_expired_token_is_exchanged_again_once(waits: list[float]) -> None:
    def token(value: str) -> Reply:
        body = {"access_token": value, "token_type": "bearer", "expires_in": 900, "scopes": ["admin"]}
        return 200, {}, json.dumps(body).encode()

    expired = envelope("invalid_api_key", "invalid, expired or revoked credentials", "authentication_error")
    replies = [token("jwt1"), (200, {}, b"{}"), (401, {}, expired), token("jwt2"), (200, {}, b'{"n":2}')]
    with ScriptedServer(replies) as server, scripted_client(server.url, waits) as client:
        assert client.exchange_token()["access_token"] == "jwt1"
        assert client.get("/stats") == {}
        assert client.get("/stats") == {"n": 2}  # 401 on jwt1 -> new token -> same call again
    assert [(m, p) for m, p, _ in server.requests] == [
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/stats"),
        ("GET", "/api/v1/stats"),
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/stats"),
    ]
    assert [a for _, _, a in server.requests][-1] == "Bearer jwt2"
    with ScriptedServer([(401, {}, expired)]) as server, scripted_client(server.url, waits) as client:
        with pytest.raises(ClientError) as exc:
            client.get("/stats")  # the API key itself is refused: nothing to refresh
        assert exc.value.status == 401 and len(server.requests) == 1


# -- against the real server ------------------------------------------------------------------------


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    build_audit_dir(tmp_path / "audit")
    return replace(settings, audit_dir=str(tmp_path / "audit"), receipt_key=str(JWKS))


def test_health_and_token_exchange(live_server: LiveServer, make_key: Callable[..., str]) -> None:
    key = make_key("audit:read")
    with Client(live_server.url, key) as client:
        health = client.health()
        assert health["status"] == "ok" and health["db"] == "ok"
        token = client.exchange_token()
        assert token["token_type"] == "bearer" and token["scopes"] == ["audit:read"]
        assert token["access_token"].count(".") == 2 and 0 < token["expires_in"] <= 3600
        assert client.checkpoint()["size"] == 6  # authenticated with the JWT now
    with Client(live_server.url, "cs_nope_nope") as bad, pytest.raises(ClientError) as exc:
        bad.exchange_token()
    assert (exc.value.status, exc.value.code, exc.value.param) == (401, "invalid_api_key", "api_key")


def test_error_envelope_mapping(live_server: LiveServer, make_key: Callable[..., str]) -> None:
    with Client(live_server.url, make_key("stats:read")) as client, pytest.raises(ClientError) as exc:
        client.checkpoint()
    err = exc.value
    assert (err.status, err.code, err.param, err.type) == (
        403,
        "insufficient_scope",
        "audit:read",
        "permission_error",
    )
    assert "audit:read" in err.message and err.headers["x-ratelimit-limit"] == "1000"
    with Client(live_server.url, make_key("audit:read")) as client:
        with pytest.raises(ClientError) as exc:
            client.inclusion_proof("not-a-rid")
        assert (exc.value.status, exc.value.code, exc.value.param) == (422, "invalid_request", "rid")
        with pytest.raises(ClientError) as exc:
            client.session_receipts("agent:main:nobody")
        assert (exc.value.status, exc.value.code) == (404, "not_found")
    with Client(live_server.url) as anonymous, pytest.raises(ClientError) as exc:
        anonymous.receipt_keys()
    assert (exc.value.status, exc.value.code, exc.value.type) == (401, "unauthorized", "authentication_error")


def test_real_rate_limit_is_retried_after_retry_after(
    live_server: LiveServer, make_key: Callable[..., str], waits: list[float]
) -> None:
    key = make_key("audit:read", rate_limit=2)
    with scripted_client(live_server.url, waits, max_attempts=3) as client:
        client.api_key = client._bearer = key
        assert client.receipt_keys() == KeySet.load(JWKS).jwks()
        client.checkpoint()
        with pytest.raises(ClientError) as exc:
            client.checkpoint()
    err = exc.value
    assert (err.status, err.code, err.type, err.attempts) == (429, "rate_limited", "rate_limit_error", 3)
    assert err.headers["x-ratelimit-remaining"] == "0" and err.headers["x-ratelimit-limit"] == "2"
    retry_after = err.retry_after_s
    assert retry_after is not None and 1 <= retry_after <= 60
    assert len(waits) == 2 and all(w >= 1 for w in waits)  # each wait honoured the server's Retry-After


def test_audit_methods(live_server: LiveServer, make_key: Callable[..., str], tmp_path: Path) -> None:
    keys = KeySet.load(JWKS)
    layout = Layout(tmp_path / "audit")
    jws = (layout.jws02 / f"{R1}.jws").read_text().strip()
    with Client(live_server.url, make_key("audit:read")) as client:
        receipts = client.session_receipts(ALICE)
        assert [r["rid"] for r in receipts["receipts"]] == [R1]
        assert check_inclusion_proof(client.inclusion_proof(R1), keys, jws).size == 6
        old = (layout.log / "checkpoints" / "4.note").read_text()
        assert check_consistency_proof(client.consistency_proof(4), keys, old)[1].size == 6
        assert client.consistency_from(old)["new_size"] == 6
        verdict = client.verify_receipts([jws, {"name": "x.jws", "content": jws.replace(".", ".e", 1)}])
        assert [r["ok"] for r in verdict["results"]] == [True, False]
        assert verdict["results"][1]["code"] == "E_JWS_MALFORMED"
        public = (VECTORS / "keys" / "public.jwk").read_text()
        assert client.verify_receipts([jws], public_key=json.loads(public))["ok"] is True
        assert client.get("/receipts/checkpoint")["size"] == 6  # the generic call


def test_base_url_forms() -> None:
    for url in ("http://h:1", "http://h:1/", "http://h:1/api/v1", "http://h:1/api/v1/"):
        with Client(url) as client:
            assert client.base_url == "http://h:1/api/v1"
    with pytest.raises(ValueError, match="max_attempts"):
        Client("http://h:1", max_attempts=0)
