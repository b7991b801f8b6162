"""The three release runs of a test session: started together, awaited one by one, read many times.

Each release runs in its own network namespace (`driver.py`), all three at once, because they share
nothing and most of their time is spent waiting on Node start-up. The tests then ask many small questions
of each finished run; everything expensive (the fake-LLM log, expected values, a fresh `clawscope ingest`,
`stats`/`sessions` queries) is computed once per run and cached here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import cached_property
from pathlib import Path
from typing import Any

from tests.conformance import clawscope_cli as cs
from tests.conformance.expected import Expected, compute
from tests.conformance.fakellm import read_log
from tests.conformance.layout import RunPaths
from tests.conformance.netns import unshare_prefix
from tests.conformance.releases import Release

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 540  # the whole tier must stay under 10 minutes with warm caches


class ReleaseRun:
    """One release's driver process and, once it has finished, its results."""

    def __init__(self, rel: Release, run_dir: Path, clawscope: str) -> None:
        self.rel = rel
        self.paths = RunPaths(run_dir)
        self.paths.create()
        self.started = time.monotonic()
        argv = [
            *unshare_prefix(),
            sys.executable,
            "-m",
            "tests.conformance.driver",
            "--release",
            rel.version,
            "--run-dir",
            str(run_dir),
            "--clawscope",
            clawscope,
        ]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        with (run_dir / "driver.out").open("wb") as out:
            # Own process group, so a run that overstays can be stopped with everything it started.
            self.proc = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.logs_shown = False

    def wait(self) -> None:
        remaining = RUN_TIMEOUT_S - (time.monotonic() - self.started)
        try:
            self.proc.wait(timeout=max(remaining, 1))
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"OpenClaw {self.rel.version} run did not finish within {RUN_TIMEOUT_S} s"
            ) from None

    def stop(self) -> None:
        """Kill the driver and whatever it started that is still in its process group, each by pid."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        for pid in _leftovers(self.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # -- what the run left -------------------------------------------------------------------------
    @cached_property
    def result(self) -> dict[str, Any]:
        if not self.paths.result.exists():
            raise AssertionError(f"driver wrote no result.json; see {self.paths.run_dir / 'driver.out'}")
        data: dict[str, Any] = json.loads(self.paths.result.read_text())
        return data

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        return read_log(self.paths.fake_log)

    @cached_property
    def expected(self) -> Expected:
        return compute(self.records, self.rel)

    def steps(self, name: str) -> list[dict[str, Any]]:
        return [s for s in self.result["steps"] if s["name"] == name]

    def step(self, name: str) -> dict[str, Any]:
        found = self.steps(name)
        assert found, f"the driver never ran step {name!r} (aborted: {self.result.get('aborted')})"
        return found[-1]

    # -- clawscope on the finished run -------------------------------------------------------------
    @property
    def live_db(self) -> str:
        return self.paths.live_db_url

    @cached_property
    def fresh_db(self) -> str:
        return f"sqlite:///{self.paths.run_dir / 'clawscope-fresh.db'}"

    @cached_property
    def fresh_ingest(self) -> cs.Result:
        """One ingest of the whole state dir (gateway stopped) into an empty database."""
        return cs.ingest(self.paths.state, self.fresh_db, self.paths.run_dir)

    @cached_property
    def _queries(self) -> dict[tuple[str, str | None], Any]:
        return {}

    def stats(self, db: str, by: str | None = None) -> Any:
        key = (db, by)
        if key not in self._queries:
            self._queries[key] = cs.stats(db, self.paths.run_dir, by).json()
        return self._queries[key]

    def sessions(self, db: str) -> list[dict[str, Any]]:
        key = (db, "sessions")
        if key not in self._queries:
            self._queries[key] = cs.sessions(db, self.paths.run_dir).json()
        return list(self._queries[key])


def _leftovers(pgid: int) -> list[int]:
    """Processes still in the (exited) driver's group that are OpenClaw or ours, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and (b"openclaw" in cmdline or b"tests.conformance" in cmdline):
            found.append(int(stat.parent.name))
    return found


class RunSet:
    """All release runs of the session, started at once on first use."""

    def __init__(self, base: Path, releases: tuple[Release, ...], clawscope: str) -> None:
        self.runs = {rel.version: ReleaseRun(rel, base / rel.version, clawscope) for rel in releases}
        self._waited: set[str] = set()

    def get(self, version: str) -> ReleaseRun:
        run = self.runs[version]
        if version not in self._waited:
            self._waited.add(version)
            run.wait()
        return run

    def close(self, keep: Path | None) -> None:
        """Stop what still runs; copy state dirs and logs to `keep` (CLAWSCOPE_CONFORMANCE_OUT) if set."""
        for run in self.runs.values():
            run.stop()
            if keep is not None:
                dst = keep / run.rel.version
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(
                    run.paths.run_dir,
                    dst,
                    ignore=shutil.ignore_patterns("workspace-*", "tmp", "node_modules", "cache"),
                )
