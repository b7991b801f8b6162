"""The JSONL-era sink: a `~/.openclaw` dir as OpenClaw ≤ 2026.7 (observed: 2026.3.24) writes it.

Layout (format doc §1.2): `agents/<id>/sessions/sessions.json` + one `<sessionId>.jsonl` per
transcript (Telegram topics: `<sessionId>-topic-<n>.jsonl`; rolled-over windows renamed
`….jsonl.reset.<ISO-ts>`), `cron/jobs.json`, `cron/runs/<jobId>.jsonl`, `subagents/runs.json`.
Transcript lines are written as they happen; `sessions.json` and `runs.json` are streamed member by
member, so memory stays flat however large the corpus. File layouts (2-space JSON, which files end
with a newline) match the real sample byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson

from clawscope.demo.clock import file_stamp
from clawscope.demo.jsonfmt import PrettyMapWriter, pretty
from clawscope.demo.sink import Node, Window

_BUF = 1 << 16


class JsonlSink:
    """Writes the JSONL era's files under `root`."""

    version = 3

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: dict[str, tuple[IO[bytes], Path]] = {}
        self._store: tuple[IO[bytes], PrettyMapWriter] | None = None
        self._cron_logs: dict[str, IO[bytes]] = {}
        self._runs_file: IO[bytes] | None = None
        self._runs: PrettyMapWriter | None = None
        self._jobs: list[dict[str, Any]] = []  # a few per agent: one cron/jobs.json for all agents

    def _sessions_dir(self, agent_id: str) -> Path:
        return self.root / "agents" / agent_id / "sessions"

    def begin_agent(self, agent_id: str, created_ms: int) -> None:
        del created_ms
        folder = self._sessions_dir(agent_id)
        folder.mkdir(parents=True, exist_ok=True)
        fh = (folder / "sessions.json").open("wb", buffering=_BUF)
        fh.write(b"{")
        self._store = (fh, PrettyMapWriter(fh.write, 0))

    def begin(self, session_id: str, agent_id: str, file_name: str) -> None:
        path = self._sessions_dir(agent_id) / file_name
        self._open[session_id] = (path.open("wb", buffering=_BUF), path)

    def event(self, session_id: str, record: dict[str, Any], ts_ms: int) -> None:
        del ts_ms
        self._open[session_id][0].write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))

    def end(self, window: Window) -> None:
        fh, path = self._open.pop(window.session_id)
        fh.close()
        if window.archived_ms is not None:
            path.rename(path.with_name(f"{path.name}.reset.{file_stamp(window.archived_ms)}"))

    def node(self, node: Node) -> None:
        assert self._store is not None, "node() outside begin_agent/end_agent"
        self._store[1].member(node.key, node.entry)

    def end_agent(self, agent_id: str) -> None:
        del agent_id
        assert self._store is not None
        fh, writer = self._store
        writer.close()  # OpenClaw writes sessions.json without a final newline
        fh.close()
        self._store = None

    def cron_run(self, job_id: str, line: dict[str, Any]) -> None:
        fh = self._cron_logs.get(job_id)
        if fh is None:
            folder = self.root / "cron" / "runs"
            folder.mkdir(parents=True, exist_ok=True)
            fh = self._cron_logs[job_id] = (folder / f"{job_id}.jsonl").open("wb", buffering=_BUF)
        fh.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))

    def cron_jobs(self, jobs: list[dict[str, Any]]) -> None:
        self._jobs.extend(jobs)

    def subagent_run(self, run: dict[str, Any]) -> None:
        if self._runs is None:
            folder = self.root / "subagents"
            folder.mkdir(parents=True, exist_ok=True)
            self._runs_file = (folder / "runs.json").open("wb", buffering=_BUF)
            self._runs_file.write(b'{\n  "version": 2,\n  "runs": {')
            self._runs = PrettyMapWriter(self._runs_file.write, 2)
        self._runs.member(run["runId"], run)

    def finish(self) -> None:
        if self._jobs:
            (self.root / "cron" / "jobs.json").write_bytes(pretty({"version": 1, "jobs": self._jobs}))
        for fh in self._cron_logs.values():
            fh.close()
        self._cron_logs.clear()
        if self._runs is not None and self._runs_file is not None:
            self._runs.close()
            self._runs_file.write(b"\n}\n")  # runs.json, unlike sessions.json, ends with a newline
            self._runs_file.close()
