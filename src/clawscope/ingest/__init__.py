"""Ingest: OpenClaw state dirs → sources → dedupe → store, incrementally and idempotently.

For each state dir: the registries (cron jobs and runs, sub-agent runs); then each agent's
`sessions.json` and JSONL transcripts (grouped by session: active file first, then archives, then
copies; planned and read in one stream); then its SQLite-era store. Every source has a cursor saved
in the same transaction as the rows read up to it, so a re-run reads only what is new and a crash at
any point costs nothing but time. Each entry is stored once per (session id, entry id): an in-memory
set per session skips copies before any work is done, and the primary keys make sure of it. A large
backlog of JSONL is decoded by worker processes while this process writes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from clawscope.ingest.jsonl import Decoding, read_jsonl_agent, transcript_bytes
from clawscope.ingest.registries import ingest_registries
from clawscope.ingest.run import IngestReport, ProgressFn, Run
from clawscope.ingest.sqlite import ingest_sqlite_agent
from clawscope.model import Agent
from clawscope.sources.layout import agent_dirs
from clawscope.store import FLUSH_ENTRIES, Store

__all__ = ["IngestReport", "ProgressFn", "ingest"]

POOL_MIN_BYTES = 64 << 20  # below this, starting worker processes costs more than it saves


def default_workers() -> int:
    return min(3, max(0, (os.cpu_count() or 1) - 1))


def ingest(
    store: Store,
    state_dirs: Sequence[Path],
    *,
    instance: str,
    estimate: bool = True,
    progress: ProgressFn | None = None,
    now: float | None = None,
    batch_entries: int = FLUSH_ENTRIES,
    workers: int | None = None,
) -> IngestReport:
    """Ingest everything new in these OpenClaw state dirs.

    `batch_entries` bounds how many entries one transaction writes (memory, and crash granularity);
    `workers` is the number of decoding processes for a large backlog (None: one per spare core).
    """
    started = time.time()
    run = Run(store, instance, now if now is not None else started, estimate, batch_entries)
    run.progress = progress
    before = store.row_counts()
    try:
        jsonl = []
        sqlite = []
        for state_dir in state_dirs:
            ingest_registries(run, Path(state_dir))
            for agent in agent_dirs(Path(state_dir)):
                run.writer.add_registry("agents", [Agent(agent.agent_id, instance, str(state_dir))])
                if agent.sessions_dir:
                    jsonl.append(agent)
                if agent.sqlite_path:
                    sqlite.append(agent)
        if progress is not None:  # (a size per file: the plan below keeps no list of them)
            run.bytes_total = run.bytes_done + sum(transcript_bytes(agent) for agent in jsonl)
        n = default_workers() if workers is None else workers
        # each agent is planned and read in one stream, a session group at a time: planning every
        # agent's files first held them all (at 78,000 files, 100 MB more at the peak)
        with Decoding(n, POOL_MIN_BYTES, eager=bool(workers)) as decoding:
            for agent in jsonl:
                read_jsonl_agent(run, agent, decoding)
        for agent in sqlite:
            ingest_sqlite_agent(run, agent)
    finally:
        run.finish()  # commits what was read (also on an error: the cursors say how far)
    store.link_sessions()
    w = run.writer.written
    report = run.report
    report.sessions, report.entries = w["sessions"], w["entries"]
    report.llm_calls, report.tool_calls = w["llm_calls"], w["tool_calls"]
    after = store.row_counts()
    report.problems = after["problems"] - before["problems"]
    report.cron_runs = after["cron_runs"] - before["cron_runs"]  # new runs, not runs read again
    report.subagent_runs = after["subagent_runs"] - before["subagent_runs"]
    report.seconds = time.time() - started
    store.record_run(int(started * 1000), "ok", report.counts())
    return report
