"""Crash safety under kill -9 (issue 13, "Keep it: an attack tier"): for each era x backend, real
`clawscope ingest` processes are killed at seeded random moments (at least 10) and at the deterministic
fault points of `clawscope.faults` (mid session metadata, between a data commit and its events, mid
roll-up); each is followed by a rerun, and every table is compared with a clean run (`tables.dump`),
the event log by what it promises (`tables.event_gaps`: no session's events miss a row)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from clawscope.demo import generate
from clawscope.faults import POINTS
from clawscope.store import Store
from tests.attack.samples import JSONL_ERA, SQLITE_ERA, sample
from tests.support.tables import differences, dump, event_gaps

KILLS = 10  # random moments per era x backend
BATCH = "25"  # entries per transaction: many commits, so a kill lands between two of them


def _state(root: Path, era: str) -> Path:
    """A demo state of the era with the real sample's agent beside it (as `ops`)."""
    generate(root, sessions=16, agents=1, era=era, seed=13)
    real = sample(JSONL_ERA if era == "jsonl" else SQLITE_ERA) / "agents" / "main"
    shutil.copytree(real, root / "agents" / "ops")
    return root


def _cmd(root: Path, url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "clawscope.cli",
        "ingest",
        str(root),
        "--db",
        url,
        "--json",
        "--instance",
        "t",
    ]


class Dbs:
    """Fresh databases of one backend: SQLite files, or fresh schemas of the test PostgreSQL."""

    def __init__(self, backend: str, tmp: Path, pg_base: str | None) -> None:
        self.backend, self.tmp, self.pg_base, self.schemas = backend, tmp, pg_base, []

    def new(self) -> str:
        name = "k_" + uuid.uuid4().hex[:10]
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        assert self.pg_base is not None
        with psycopg.connect(self.pg_base.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {name}")
        self.schemas.append(name)
        return f"{self.pg_base}?options=-csearch_path%3D{name}"

    def drop(self) -> None:
        if not self.schemas:
            return
        assert self.pg_base is not None
        with psycopg.connect(self.pg_base.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
            for name in self.schemas:
                c.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Dbs]:
    base = request.getfixturevalue("pg_base") if request.param == "postgres" else None
    d = Dbs(request.param, tmp_path, base)
    try:
        yield d
    finally:
        d.drop()


def _env(tmp: Path, fault: str | None = None) -> dict[str, str]:
    env = {**os.environ, "HOME": str(tmp)}
    env.pop("CLAWSCOPE_FAULT", None)
    if fault:
        env["CLAWSCOPE_FAULT"] = fault
    return env


def _finish(root: Path, url: str, tmp: Path) -> dict[str, list[tuple[object, ...]]]:
    proc = subprocess.run(_cmd(root, url), capture_output=True, text=True, env=_env(tmp), check=False)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    with Store(url) as store:
        assert event_gaps(store) == []
        return dump(store, root)


@pytest.mark.parametrize("era", ["jsonl", "sqlite"])
def test_kill_9_at_random_moments_and_fault_points_then_rerun_is_a_clean_run(
    tmp_path: Path, dbs: Dbs, era: str
) -> None:
    root = _state(tmp_path / "state", era)
    rng = random.Random(f"{era}-{dbs.backend}")  # seeded: the same moments on every run
    url = dbs.new()
    t0 = time.monotonic()
    expected = _finish(root, url, tmp_path)
    duration = time.monotonic() - t0
    assert expected["entries"]
    hit = 0
    for i in range(KILLS):
        url = dbs.new()
        proc = subprocess.Popen(
            [*_cmd(root, url), "--batch-entries", BATCH],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(tmp_path),
        )
        time.sleep(rng.uniform(0.2, 1.0) * duration)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            hit += 1
        proc.wait()
        got = _finish(root, url, tmp_path)
        assert differences(expected, got) == [], f"kill {i}"
    assert hit >= KILLS // 2  # the kills really hit running ingests
    for point in POINTS:
        url = dbs.new()
        fault = f"{point}:{rng.randint(2, 6)}"
        proc = subprocess.run(
            [*_cmd(root, url), "--batch-entries", BATCH],
            capture_output=True,
            env=_env(tmp_path, fault),
            check=False,
        )
        assert proc.returncode == -signal.SIGKILL, f"{fault} was never reached"
        got = _finish(root, url, tmp_path)
        assert differences(expected, got) == [], fault
