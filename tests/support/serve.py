"""`clawscope serve` as a real process for tests: started on a free loopback port over a given database
(without live ingest unless asked), waited for, stopped with SIGINT (then killed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.env import ROOT
from tests.support.server import free_port


class Serve:
    def __init__(self, home: Path, db_url: str, *args: str, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = f"127.0.0.1:{self.port}"
        env = {**os.environ, "CLAWSCOPE_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
        env.pop("CLAWSCOPE_DB", None)
        env.update(extra_env or {})
        self.cmd = [
            sys.executable, "-c", "from clawscope.cli import main; main()", "serve",
            "--port", str(self.port), "--log-level", "warning", "--db", db_url, *(args or ("--no-live",)),
        ]  # fmt: skip
        self.env = env
        self.log_path = home / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Serve:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not come up")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
