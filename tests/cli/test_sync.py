"""`clawscope sync` against a live server: the same numbers as local ingest, state, resume, retries."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from clawscope import analytics
from clawscope.cli import cli
from clawscope.cli.sync import post
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from tests.support.remote import register, rounded
from tests.support.server import LiveServer, auth

SAMPLES = ["openclaw-2026.3.24-jsonl", "openclaw-2026.9.6-sqlite"]


def numbers(store: Store, server: LiveServer | None = None, key: str | None = None) -> dict[str, Any]:
    """Totals (from the server's `/api/v1/stats` when a server is given), per tool, per model, and
    per session."""
    f = Filters()
    if server is not None and key is not None:
        r = httpx.get(server.url + "/api/v1/stats", headers=auth(key))
        assert r.status_code == 200, r.text
        totals = r.json()["totals"]
    else:
        totals = analytics.stats(store, f)["totals"]
    keep = ("sessionId", "agent", "key", "kind", "llmCalls", "toolCalls", "toolErrors", "entries", "messages")
    return rounded(
        {
            "totals": totals,
            "tool": analytics.stats(store, f, by="tool")["groups"],
            "model": analytics.stats(store, f, by="model")["groups"],
            "sessions": sorted(({k: s[k] for k in keep} for s in analytics.sessions(store, f)), key=str),
        }
    )


@pytest.fixture
def pushed(client, live_server: LiveServer, make_key, tmp_path: Path) -> Callable[..., Any]:
    key = make_key("ingest:write", "stats:read")
    instance_id, secret = register(client, make_key("admin"))

    def run(*args: str, to: str | None = None) -> Any:
        argv = ["sync", *args, "--to", to or live_server.url, "--api-key", key, "--agent-key", "main"]
        argv += [
            "--agent-secret",
            secret,
            "--instance-id",
            instance_id,
            "--state-file",
            str(tmp_path / "st.json"),
        ]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    run.key = key  # type: ignore[attr-defined]
    return run


@pytest.fixture
def settled_copy(fixture_copy: Callable[[str], Path]) -> Callable[[str], Path]:
    """A fixture copy whose files were last written an hour ago: completed sessions, whatever the
    checkout's file times (a fresh clone's are "now", which sync rightly treats as still active)."""

    def copy(name: str) -> Path:
        state = fixture_copy(name)
        past = time.time() - 3600
        for path in state.rglob("*"):
            os.utime(path, (past, past))
        return state

    return copy


@pytest.mark.parametrize("sample", SAMPLES)
def test_sync_round_trip_gives_the_same_numbers_as_local_ingest(
    sample: str, pushed, store: Store, live_server: LiveServer, settled_copy, tmp_path: Path
) -> None:
    state = settled_copy(sample)
    res = pushed(str(state))
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines and all(line.startswith("sent ") for line in lines), res.output
    with Store(f"sqlite:///{tmp_path / 'local.db'}") as local:
        ingest(local, [state], instance="local", estimate=True)
        expected = numbers(local)
    got = numbers(store, live_server, pushed.key)
    assert got == expected
    assert got["totals"]["llmCalls"] > 0 and got["totals"]["toolCalls"] > 0


def test_state_file_dry_run_and_force(pushed, store: Store, settled_copy, tmp_path: Path) -> None:
    state = settled_copy(SAMPLES[0])
    dry = pushed(str(state), "--dry-run")
    assert dry.exit_code == 0
    assert [line.split()[0] for line in dry.stdout.splitlines()] == ["would"] * 4
    assert analytics.stats(store, Filters())["totals"]["sessions"] == 0  # nothing sent
    first = pushed(str(state))
    before = numbers(store)
    again = pushed(str(state))
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["skip"] * 4
    forced = pushed(str(state), "--force")
    assert [line.split()[0] for line in forced.stdout.splitlines()] == ["sent"] * 4
    assert first.exit_code == again.exit_code == forced.exit_code == 0
    assert numbers(store) == before  # resending is idempotent
    # a session that grew is sent again
    f = next((state / "agents/main/sessions").glob("e43552a8*.jsonl"))
    import os

    st = os.stat(f)
    with f.open("a") as fh:
        fh.write(json.dumps({"type": "custom", "customType": "note", "id": "extra-1", "data": {}}) + "\n")
    os.utime(f, (st.st_atime, st.st_mtime))
    grew = pushed(str(state))
    assert sorted(line.split()[0] for line in grew.stdout.splitlines()) == ["sent", "skip", "skip", "skip"]


def test_an_interrupted_sync_resumes_where_it_stopped(
    pushed, store: Store, live_server, settled_copy
) -> None:
    state = settled_copy(SAMPLES[0])
    with FlakyProxy(live_server.url, pass_first=2) as proxy:
        broken = pushed(str(state), "--retries", "0", to=proxy.url)
        assert broken.exit_code == 1
        kinds = [line.split()[0] for line in broken.stdout.splitlines()]
        assert kinds == ["sent", "sent", "failed", "failed"], broken.output
        proxy.pass_first = None  # the server is back
        resumed = pushed(str(state), to=proxy.url)
    assert resumed.exit_code == 0
    assert [line.split()[0] for line in resumed.stdout.splitlines()] == ["skip", "skip", "sent", "sent"]
    assert analytics.stats(store, Filters())["totals"]["sessions"] == 4


def test_retries_honour_retry_after_then_back_off(live_server) -> None:
    with FlakyProxy(live_server.url, pass_first=None, script=[(429, "3"), (503, None), (503, None)]) as proxy:
        slept: list[float] = []
        with httpx.Client() as c:
            resp = post(c, proxy.url + "/api/v1/health", "k", "s", b"{}", sleep=slept.append)
        assert proxy.seen == 4
    assert slept == [3.0, 1.0, 2.0]  # Retry-After first, then the doubling backoff
    assert resp.status_code in (401, 405, 422, 200)  # reached the real server


class FlakyProxy:
    """A real HTTP proxy on loopback: forwards the first `pass_first` requests, then answers 503;
    or answers from `script` (status, Retry-After) before forwarding."""

    def __init__(
        self, target: str, pass_first: int | None, script: list[tuple[int, str | None]] | None = None
    ) -> None:
        self.target = target
        self.pass_first = pass_first
        self.script = list(script or [])
        self.seen = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:
                proxy.seen += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if proxy.script:
                    status, after = proxy.script.pop(0)
                    self._answer(status, b'{"error":{"code":"busy","message":"busy"}}', after)
                    return
                if proxy.pass_first is not None:
                    if proxy.pass_first <= 0:
                        self._answer(503, b'{"error":{"code":"down","message":"down"}}', None)
                        return
                    proxy.pass_first -= 1
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                r = httpx.post(proxy.target + self.path, content=body, headers=headers)
                self._answer(r.status_code, r.content, None)

            def _answer(self, status: int, data: bytes, after: str | None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if after is not None:
                    self.send_header("Retry-After", after)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
