"""Replay protection across real `clawscope serve` processes sharing one database, and across a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from clawscope.store import Store
from tests.support.env import ROOT
from tests.support.remote import WEBHOOK, session_body, signed_headers
from tests.support.server import free_port

KEY = "test-secrets-key-shared-by-every-process-0123456789"


@contextmanager
def serve(db_url: str, home: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CLAWSCOPE_DB", None)
    env["CLAWSCOPE_WEBHOOK_WINDOW_S"] = "600"  # the replay below comes after two server starts
    env["CLAWSCOPE_SECRETS_KEY"] = KEY  # every process on the database: one key of its secrets
    cmd = [
        sys.executable,
        "-c",
        "from clawscope.cli import main; main()",
        "serve",
        "--no-live",
        "--db",
        db_url,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"clawscope serve did not start: {err[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        if proc.stderr:
            proc.stderr.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_nonce_is_accepted_once_by_any_process_and_after_a_restart(db_url: str, tmp_path: Path) -> None:
    with Store(db_url, secrets_key=KEY) as store:
        key, _ = store.keys.create("sync", ("ingest:write",), 1000)
        reg = store.remote
        inst = reg.add_instance("box", "http://127.0.0.1:18789", None)
        reg.add_agent(inst.instance_id, "main", None, None)
        _, secret = reg.rotate_secret(reg.agents()[0].agent_id)
    body = session_body(inst.instance_id)
    headers = signed_headers(key, secret, body, nonce="shared-nonce-42")
    with serve(db_url, tmp_path) as a, serve(db_url, tmp_path) as b:
        first = httpx.post(a + WEBHOOK, content=body, headers=headers, timeout=30)
        assert first.status_code == 200, first.text
        again = httpx.post(b + WEBHOOK, content=body, headers=headers, timeout=30)
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "replayed_nonce"
        # two processes racing on one fresh nonce: exactly one wins
        body2 = session_body(inst.instance_id)
        h2 = signed_headers(key, secret, body2, nonce="racing-nonce-7")
        import concurrent.futures as cf

        with cf.ThreadPoolExecutor(4) as pool:
            codes = sorted(
                f.result().status_code
                for f in [
                    pool.submit(httpx.post, u + WEBHOOK, content=body2, headers=h2, timeout=30)
                    for u in (a, b, a, b)
                ]
            )
        assert codes == [200, 409, 409, 409]
    with serve(db_url, tmp_path) as restarted:
        r = httpx.post(restarted + WEBHOOK, content=body, headers=headers, timeout=30)
        assert r.status_code == 409, r.text
    with Store(db_url) as store:
        from clawscope import analytics
        from clawscope.model import Filters

        assert analytics.stats(store, Filters())["totals"]["sessions"] == 2
