"""Where one release's run keeps its files, shared by the driver (inside the namespace) and the tests.

Everything of a run lives in one folder: OpenClaw's scratch HOME (so its state dir is
`home/.openclaw`), its TMPDIR, its logs, the fake LLM's log, each step's output, clawscope databases and
`result.json`. Nothing is written outside it, so runs of the three releases never meet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunPaths:
    run_dir: Path

    @property
    def home(self) -> Path:
        return self.run_dir / "home"

    @property
    def state(self) -> Path:
        """The OpenClaw state dir (`~/.openclaw` of the scratch HOME)."""
        return self.home / ".openclaw"

    @property
    def tmp(self) -> Path:
        return self.run_dir / "tmp"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def steps(self) -> Path:
        return self.run_dir / "steps"

    @property
    def openclaw_log(self) -> Path:
        """OpenClaw's own file log (`logging.file` in openclaw.json)."""
        return self.logs / "openclaw.log"

    @property
    def gateway_out(self) -> Path:
        return self.logs / "gateway.out"

    @property
    def fake_log(self) -> Path:
        return self.run_dir / "fakellm.jsonl"

    @property
    def fake_out(self) -> Path:
        return self.logs / "fakellm.out"

    @property
    def result(self) -> Path:
        return self.run_dir / "result.json"

    @property
    def live_db_url(self) -> str:
        """The clawscope database the driver ingests into while the gateway runs."""
        return f"sqlite:///{self.run_dir / 'clawscope-live.db'}"

    def create(self) -> None:
        for path in (self.home, self.tmp, self.logs, self.steps):
            path.mkdir(parents=True, exist_ok=True)


def first_json(text: str) -> Any:
    """The first JSON object or array in a command's output (OpenClaw may print notices before it)."""
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                return decoder.raw_decode(text, i)[0]
            except json.JSONDecodeError:
                continue
    return None
