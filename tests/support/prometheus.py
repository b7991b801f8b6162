"""The real Prometheus (Debian's `prometheus` package, installed by scripts/setup-test-deps) for tests:
started on a free loopback port with a temporary config that scrapes one target every second, queried
through its HTTP API, stopped (and its data removed) afterwards."""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.env import require
from tests.support.server import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def require_prometheus() -> None:
    require(
        Path(PROMETHEUS).exists() and Path(PROMTOOL).exists(),
        "Prometheus (scripts/setup-test-deps prometheus)",
    )


class Prometheus:
    """`with Prometheus(tmp, target="127.0.0.1:8765", key="cs_…") as prom: prom.query("up")`."""

    def __init__(self, workdir: Path, target: str, key: str | None = None) -> None:
        self.dir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        job: dict[str, Any] = {
            "job_name": "clawscope",
            "scrape_interval": "1s",
            "scrape_timeout": "1s",
            "static_configs": [{"targets": [target]}],
        }
        if key:
            (workdir / "key").write_text(key)
            job["authorization"] = {"type": "Bearer", "credentials_file": str(workdir / "key")}
        (workdir / "prometheus.yml").write_text(
            yaml.safe_dump(
                {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "scrape_configs": [job]}
            )
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Prometheus:
        self.log = (self.dir / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={self.dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait(self._ready, "Prometheus did not become ready")
        return self

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"Prometheus exited: {(self.dir / 'prometheus.log').read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir / "data", ignore_errors=True)

    @staticmethod
    def wait(condition: Any, why: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(why)
            time.sleep(0.2)

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result (vector or scalar as a one-element list); fails on a PromQL error."""
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=30)
        body = r.json()
        assert r.status_code == 200 and body["status"] == "success", (expr, body)
        data = body["data"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def values(self, expr: str, by: tuple[str, ...]) -> dict[tuple[str, ...], float]:
        return {tuple(s["metric"].get(k, "") for k in by): float(s["value"][1]) for s in self.query(expr)}

    def scrapes(self) -> int:
        """How many successful scrapes of the target Prometheus holds (over the last 5 minutes)."""
        found = self.query("count_over_time(clawscope_build_info[5m])")
        return int(float(found[0]["value"][1])) if found else 0


def has_data(result: list[dict[str, Any]]) -> bool:
    """At least one sample with a number (not NaN)."""
    return any(not math.isnan(float(s["value"][1])) for s in result)
