"""`clawscope serve`'s refusals: `--no-auth` off loopback is a clean one-line error (exit 2, no traceback),
from a flag or the environment, before anything is opened; on loopback it serves without credentials."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from clawscope.cli import cli
from tests.support.cli import invoke
from tests.support.env import ROOT
from tests.support.server import free_port


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.com", "::"])
def test_serve_refuses_no_auth_off_loopback(runner: CliRunner, sqlite_url: str, host: str) -> None:
    _, err = invoke(runner, "serve", "--no-auth", "--host", host, "--db", sqlite_url, code=2)
    assert err == f"error: --no-auth is refused on {host}: bind to 127.0.0.1 or keep auth on\n"


def test_serve_refuses_no_auth_from_the_environment(runner: CliRunner, sqlite_url: str) -> None:
    result = runner.invoke(
        cli, ["serve", "--db", sqlite_url], env={"CLAWSCOPE_NO_AUTH": "1", "CLAWSCOPE_HOST": "0.0.0.0"}
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --no-auth is refused on 0.0.0.0")


def _cli_process(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOME": str(tmp_path / "home")}
    for name in ("CLAWSCOPE_DB", "CLAWSCOPE_HOST", "CLAWSCOPE_NO_AUTH", "CLAWSCOPE_CONFIG"):
        env.pop(name, None)
    code = "from clawscope.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_process_refuses_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    proc = _cli_process(
        tmp_path, "serve", "--no-auth", "--host", "0.0.0.0", "--db", f"sqlite:///{tmp_path}/x.db"
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert (out, err) == ("", "error: --no-auth is refused on 0.0.0.0: bind to 127.0.0.1 or keep auth on\n")
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


def test_serve_process_serves_on_loopback_without_auth(tmp_path: Path) -> None:
    port = free_port()
    proc = _cli_process(
        tmp_path, "serve", "--no-auth", "--no-live", "--port", str(port), "--db", f"sqlite:///{tmp_path}/x.db",
        "--log-level", "warning",
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/receipts/keys", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
                time.sleep(0.1)
        # no credentials needed; the route answers (503: no receipt key configured), not 401
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "audit_not_configured"
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).json()["db"] == "ok"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
