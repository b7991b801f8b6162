"""`clawscope serve` as a real process: it ingests the given state dir, prints a one-time login URL
that signs the browser in, and serves the dashboard and the API on loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support.env import FIXTURES, ROOT
from tests.support.server import free_port


def _serve(
    tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "CLAWSCOPE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CLAWSCOPE_DB", None)
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clawscope.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return proc, f"http://127.0.0.1:{port}"


def _read_until(proc: subprocess.Popen[str], pattern: str, timeout: float = 60) -> str:
    assert proc.stderr is not None
    out = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        out += line
        if re.search(pattern, out) or (not line and proc.poll() is not None):
            break
    return out


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    assert proc.stderr is not None
    proc.stderr.close()


def _wait_ok(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def test_serve_prints_a_login_url_that_signs_in(tmp_path: Path) -> None:
    state_dir = tmp_path / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    proc, base = _serve(tmp_path, "--state", str(state_dir))
    try:
        out = _read_until(proc, r"login\?token=\S+")
        m = re.search(r"(http://127\.0\.0\.1:\d+/login\?token=\S+)", out)
        assert m, out
        assert f"ingesting and following: {state_dir}" in out
        _wait_ok(f"{base}/api/v1/health")
        with httpx.Client(base_url=base) as c:
            assert c.get("/").status_code == 303  # not signed in yet
            r = c.get(m.group(1).removeprefix(base), follow_redirects=True)
            assert r.status_code == 200
            assert "Overview" in r.text
            assert "Demo data" not in r.text
            health = c.get("/api/v1/health").json()
            assert health["ingest"]["lastIngestAt"] is not None
    finally:
        _stop(proc)


def test_serve_refuses_no_auth_off_loopback(tmp_path: Path) -> None:
    proc, _ = _serve(tmp_path, "--no-auth", "--host", "0.0.0.0", "--no-live")
    out = _read_until(proc, r"refused")
    _stop(proc)
    assert proc.returncode != 0
    assert "--no-auth is refused" in out


def test_serve_on_a_machine_without_openclaw_serves_the_demo_on_loopback(tmp_path: Path) -> None:
    """What `make run` does on a fresh machine: no OpenClaw anywhere, so a demo state, said so."""
    home = tmp_path / "user"
    home.mkdir()
    env = {"HOME": str(home), "OPENCLAW_STATE_DIR": "", "CLAWSCOPE_STATE_DIRS": "", "CLAWSCOPE_HOST": ""}
    proc, base = _serve(tmp_path, extra_env=env)
    try:
        out = _read_until(proc, r"login\?token=\S+", timeout=300)
        m = re.search(r"(http://127\.0\.0\.1:\d+/login\?token=\S+)", out)
        assert m, out  # bound to 127.0.0.1, with auth on
        assert "demo" in out.lower()
        _wait_ok(f"{base}/api/v1/health")
        with httpx.Client(base_url=base, timeout=30) as c:
            r = c.get(m.group(1).removeprefix(base), follow_redirects=True)
            assert r.status_code == 200 and "Demo data" in r.text
            deadline = time.monotonic() + 300  # the first ingest of the demo runs in the background
            while c.get("/api/v1/health").json()["ingest"]["lastIngestAt"] is None:
                assert time.monotonic() < deadline, "the demo was never ingested"
                time.sleep(0.5)
            assert "Demo data" in c.get("/sessions").text
    finally:
        _stop(proc)


@pytest.mark.parametrize("chosen_by", ["flag", "env", "config"])
def test_a_chosen_database_never_receives_demo_data(db_url: str, chosen_by: str, tmp_path: Path) -> None:
    """No OpenClaw state on the machine, but a database chosen by flag, environment or config file:
    it is served as it is (with a notice), never mixed with a generated demo."""
    with Store(db_url) as store:
        ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="user")
    home = tmp_path / "user"
    home.mkdir()
    env = {"HOME": str(home), "OPENCLAW_STATE_DIR": "", "CLAWSCOPE_STATE_DIRS": "", "CLAWSCOPE_HOST": ""}
    args: list[str] = ["--no-auth"]
    if chosen_by == "flag":
        args += ["--db", db_url]
    elif chosen_by == "env":
        env["CLAWSCOPE_DB"] = db_url
    else:
        config = tmp_path / "config.toml"
        config.write_text(f'[clawscope]\ndb = "{db_url}"\n')
        env["CLAWSCOPE_CONFIG"] = str(config)
    proc, base = _serve(tmp_path, *args, extra_env=env)
    try:
        out = _read_until(proc, r"dashboard: http")
        assert "no OpenClaw state found: serving" in out and "DEMO" not in out, out
        _wait_ok(f"{base}/api/v1/health")
        assert httpx.get(f"{base}/api/v1/stats").json()["totals"]["sessions"] == 4
        page = httpx.get(f"{base}/").text
        assert 'id="no-state-banner"' in page and "Demo data" not in page
    finally:
        _stop(proc)
    assert not (tmp_path / "home" / "demo-state").exists()
    with Store(db_url) as store:
        assert len(store.sessions_with_entries()) == 4  # nothing was added for good either


def test_demo_flag_uses_the_demos_own_database(sqlite_url: str, tmp_path: Path) -> None:
    with Store(sqlite_url) as store:
        ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="user")
    home = tmp_path / "user"
    home.mkdir()
    env = {"HOME": str(home), "OPENCLAW_STATE_DIR": "", "CLAWSCOPE_STATE_DIRS": "", "CLAWSCOPE_HOST": ""}
    proc, base = _serve(tmp_path, "--no-auth", "--demo", "--db", sqlite_url, extra_env=env)
    try:
        out = _read_until(proc, r"dashboard: http", timeout=300)
        assert "the demo has its own database" in out and "DEMO" in out, out
        _wait_ok(f"{base}/api/v1/health")
    finally:
        _stop(proc)
    assert (tmp_path / "home" / "demo.db").exists()
    with Store(sqlite_url) as store:
        assert len(store.sessions_with_entries()) == 4
