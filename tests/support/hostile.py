"""Hostile state dirs built from a good one, and the check every one of them must pass: the rerun
changes nothing, every bad piece is a problem saying where and why, and everything else is identical
to a clean run of the good state dir (issue 13, "Hostile and broken input")."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support.tables import differences, dump

NOW = 4_102_444_800.0  # 2100-01-01: every file has settled


@dataclass
class Outcome:
    clean: dict[str, list[tuple[Any, ...]]]
    hostile: dict[str, list[tuple[Any, ...]]]
    problems: list[dict[str, Any]]

    def codes(self) -> set[tuple[str, str]]:
        """(code, path relative to the state dir) of every problem."""
        return {(p["code"], p["path"].replace("<root>/", "")) for p in self.problems}

    def differences(self, *ignore: str) -> list[str]:
        """Tables that differ from the clean run (the problems table aside, and `ignore`)."""
        skip = {"problems", *ignore}
        a = {k: v for k, v in self.clean.items() if k not in skip}
        b = {k: v for k, v in self.hostile.items() if k not in skip}
        return differences(a, b)


def run_pair(
    tmp_path: Path,
    build: Callable[[Path], object],
    mutate: Callable[[Path], object],
    url: str | None = None,
) -> Outcome:
    """Ingest a good state dir and its hostile copy (twice: the rerun must change nothing)."""
    clean_root, hostile_root = tmp_path / "clean", tmp_path / "hostile"
    build(clean_root)
    shutil.copytree(clean_root, hostile_root, symlinks=True)
    mutate(hostile_root)
    with Store(f"sqlite:///{tmp_path / 'clean.db'}") as store:
        ingest(store, [clean_root], instance="t", now=NOW)
        clean = dump(store, clean_root)
    with Store(url or f"sqlite:///{tmp_path / 'hostile.db'}") as store:
        ingest(store, [hostile_root], instance="t", now=NOW)
        first = dump(store, hostile_root)
        ingest(store, [hostile_root], instance="t", now=NOW)
        second = dump(store, hostile_root)
        changed = differences(first, second)  # cursors aside: a file's signature may move (a WAL appears)
        assert [c for c in changed if not c.startswith("cursors:")] == [], f"the rerun changed: {changed}"
        problems = [
            {k: (v.replace(str(hostile_root), "<root>") if isinstance(v, str) else v) for k, v in p.items()}
            for p in store.problems.all()
        ]
    return Outcome(clean, second, problems)


MEMORY_LIMIT = 4 << 30  # an ingest that reads /dev/zero fails fast instead of eating the machine


def _limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


# root reads every file whatever its mode: an unprivileged run drops the capabilities that allow it
_UNPRIVILEGED = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def cli_ingest(root: Path, db: Path, *, unprivileged: bool = False, timeout: float = 120) -> str:
    """`clawscope ingest` in a real process (bounded in time and memory); its stdout. Fails on a
    non-zero exit or a traceback: hostile input is a problem, never a crash."""
    prefix = _UNPRIVILEGED if unprivileged and os.geteuid() == 0 else []
    proc = subprocess.run(
        [
            *prefix,
            sys.executable,
            "-m",
            "clawscope.cli",
            "ingest",
            str(root),
            "--db",
            str(db),
            "--json",
            "--instance",
            "t",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HOME": str(db.parent)},
        preexec_fn=_limits,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def run_pair_cli(
    base: Path,
    build: Callable[[Path], object],
    mutate: Callable[[Path], object],
    unprivileged: bool = False,
) -> Outcome:
    """`run_pair` through real `clawscope ingest` processes (what can hang or exhaust memory does so
    in a child with a deadline); `unprivileged`: the hostile runs cannot read what their mode forbids."""
    clean_root, hostile_root = base / "clean", base / "hostile"
    build(clean_root)
    shutil.copytree(clean_root, hostile_root, symlinks=True)
    mutate(hostile_root)
    cli_ingest(clean_root, base / "clean.db")
    with Store(f"sqlite:///{base / 'clean.db'}") as store:
        clean = dump(store, clean_root)
    db = base / "hostile.db"
    cli_ingest(hostile_root, db, unprivileged=unprivileged)
    with Store(f"sqlite:///{db}") as store:
        first = dump(store, hostile_root)
    cli_ingest(hostile_root, db, unprivileged=unprivileged)
    with Store(f"sqlite:///{db}") as store:
        second = dump(store, hostile_root)
        problems = [
            {k: (v.replace(str(hostile_root), "<root>") if isinstance(v, str) else v) for k, v in p.items()}
            for p in store.problems.all()
        ]
    changed = differences(first, second)
    assert [c for c in changed if not c.startswith("cursors:")] == [], f"the rerun changed: {changed}"
    return Outcome(clean, second, problems)
