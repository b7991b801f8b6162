"""Rate limits and webhook nonces hold across real server processes on one PostgreSQL database, and the
one-time login token never reaches the access log (issue 13, item 16).

Real `clawscope serve` processes on loopback: two separate processes, and one with `--workers 2`.
Windows are the wall clock's minutes: requests are grouped by the window each answer names
(`X-RateLimit-Reset`), so a minute boundary during the test changes nothing.
"""

from __future__ import annotations

import concurrent.futures as cf
import re
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from clawscope.store import Store
from tests.support.remote import WEBHOOK, session_body, signed_headers
from tests.support.serve import Serve

LIMIT = 5
SECRETS_KEY = "test-secrets-key-shared-by-every-process-0123456789"
REQUESTS = 2 * LIMIT + 2  # at least LIMIT + 1 of them fall in one window


def _key(db_url: str, limit: int = LIMIT) -> str:
    with Store(db_url) as store:
        plain, _ = store.keys.create("limited", ("stats:read",), limit)
    return plain


def assert_limit_held(responses: list[httpx.Response]) -> None:
    """Per window: exactly min(requests, LIMIT) answered 200, the rest 429; some window was exceeded."""
    windows: dict[str, list[int]] = defaultdict(list)
    for r in responses:
        assert r.status_code in (200, 429), r.text
        windows[r.headers["X-RateLimit-Reset"]].append(r.status_code)
    for codes in windows.values():
        assert codes.count(200) == min(len(codes), LIMIT), windows
    assert any(len(codes) > LIMIT for codes in windows.values())
    assert max(codes.count(429) for codes in windows.values()) >= 1


@pytest.mark.postgres
def test_a_key_limit_holds_across_two_server_processes(pg_url: str, tmp_path: Path) -> None:
    key = _key(pg_url)
    headers = {"Authorization": f"Bearer {key}"}
    with Serve(tmp_path / "a", pg_url) as a, Serve(tmp_path / "b", pg_url) as b:
        responses = [
            httpx.get(f"{(a, b)[i % 2].url}/api/v1/stats", headers=headers, timeout=30)
            for i in range(REQUESTS)
        ]
    assert_limit_held(responses)


@pytest.mark.postgres
def test_a_key_limit_holds_across_worker_processes(pg_url: str, tmp_path: Path) -> None:
    key = _key(pg_url)
    headers = {"Authorization": f"Bearer {key}"}
    with Serve(tmp_path, pg_url, "--no-live", "--workers", "2") as server:
        # new connections each time, so the kernel spreads them over both workers
        responses = [
            httpx.get(f"{server.url}/api/v1/stats", headers=headers, timeout=30) for _ in range(REQUESTS)
        ]
    assert_limit_held(responses)


@pytest.mark.postgres
def test_a_nonce_is_spent_once_across_worker_processes(pg_url: str, tmp_path: Path) -> None:
    with Store(pg_url, secrets_key=SECRETS_KEY) as store:
        key, _ = store.keys.create("sync", ("ingest:write",), 1000)
        inst = store.remote.add_instance("box", "http://127.0.0.1:18789", None)
        _, secret = store.remote.add_agent(inst.instance_id, "main", None, None)
    body = session_body(inst.instance_id)
    env = {"CLAWSCOPE_SECRETS_KEY": SECRETS_KEY}  # the workers read the agents' secrets with it
    with Serve(tmp_path, pg_url, "--no-live", "--workers", "2", extra_env=env) as server:
        headers = signed_headers(key, secret, body, nonce="one-nonce-for-all-workers")  # a fresh timestamp
        with cf.ThreadPoolExecutor(6) as pool:
            futures = [
                pool.submit(httpx.post, server.url + WEBHOOK, content=body, headers=headers, timeout=30)
                for _ in range(6)
            ]
            codes = sorted(f.result().status_code for f in futures)
    assert codes == [200, 409, 409, 409, 409, 409]


def test_the_one_time_login_token_never_reaches_the_access_log(sqlite_url: str, tmp_path: Path) -> None:
    server = Serve(tmp_path, sqlite_url, "--no-live", "--log-level", "info")
    with server:
        printed = server.log_path.read_text()
        match = re.search(r"/login\?token=([A-Za-z0-9_-]+)", printed)
        assert match, printed
        token = match.group(1)
        r = httpx.get(f"{server.url}/login?token={token}&next=/", follow_redirects=False, timeout=30)
        assert r.status_code == 303  # the token worked: it was a real one
        assert httpx.get(f"{server.url}/api/v1/health", timeout=30).status_code == 200
    log = server.log_path.read_text()
    assert log.count(token) == 1, log  # only the link serve printed for the operator
    assert re.search(r'"GET /login\?token=\[redacted\]&next=/ HTTP/1\.1" 303', log), log
    assert '"GET /api/v1/health HTTP/1.1" 200' in log  # the access log itself is still written
