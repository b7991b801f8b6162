"""Run the real `clawscope` executable the way a user does and read its `--json` output.

The tier checks the CLI contracts (`ingest`, `stats`, `sessions`), so it calls the installed console
script in a subprocess rather than importing library functions. clawscope's own home and config point
into the run folder so the tests never read or write the user's `~/.clawscope`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def executable() -> str:
    """The `clawscope` console script of the interpreter running the tests (the project's venv)."""
    beside = Path(sys.executable).with_name("clawscope")
    if beside.exists():
        return str(beside)
    found = shutil.which("clawscope")
    if found is None:
        raise RuntimeError("no `clawscope` executable: install the project (pip install -e '.[dev]')")
    return found


def env_for(run_dir: Path) -> dict[str, str]:
    home = run_dir / "clawscope-home"
    home.mkdir(exist_ok=True)
    return dict(os.environ, CLAWSCOPE_HOME=str(home), CLAWSCOPE_CONFIG=str(home / "none.toml"))


@dataclass(frozen=True)
class Result:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The parsed stdout; a clear assertion error when the command failed or printed no JSON."""
        assert self.rc == 0, f"`{' '.join(self.argv)}` exited {self.rc}:\n{self.stderr[-3000:]}"
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"`{' '.join(self.argv)}` did not print JSON ({exc}):\n{self.stdout[:2000]}"
            ) from None


def run(args: list[str], run_dir: Path, timeout: float = 300) -> Result:
    argv = [executable(), *args]
    proc = subprocess.run(
        argv, env=env_for(run_dir), capture_output=True, text=True, timeout=timeout, check=False
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr)


def ingest(state_dir: Path, db_url: str, run_dir: Path) -> Result:
    return run(["ingest", str(state_dir), "--db", db_url, "--json"], run_dir)


def stats(db_url: str, run_dir: Path, by: str | None = None) -> Result:
    args = ["stats", "--db", db_url, "--json"]
    return run([*args, "--by", by] if by else args, run_dir)


def sessions(db_url: str, run_dir: Path) -> Result:
    return run(["sessions", "--db", db_url, "--json"], run_dir)
