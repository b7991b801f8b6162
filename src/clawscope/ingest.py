"""Ingest: OpenClaw state dirs → sources → dedupe → store, incrementally and idempotently.

For each state dir: the registries (cron jobs and runs, sub-agent runs), then each agent's
`sessions.json` and JSONL transcripts (grouped by session; active file first, then archives, then
copies), then its SQLite-era store. Every source has a cursor saved in the same transaction as the
rows read up to it, so a re-run reads only what is new and a crash at any point costs nothing but
time. Each entry is stored once per (session id, entry id): an in-memory set per session skips
copies before any work is done, and the primary keys make sure of it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from pathlib import Path

import msgspec

from clawscope import pricing
from clawscope.model import Agent, SessionMeta, SourceKind
from clawscope.sources import openclaw_sqlite as sq
from clawscope.sources.layout import AgentDir, TranscriptFile, agent_dirs, transcript_files
from clawscope.sources.openclaw_jsonl import FileCursor, ReadResult, is_unchanged, read_transcript
from clawscope.sources.registries import (
    cron_run_files,
    cron_run_meta,
    read_cron_jobs,
    read_cron_runs,
    read_sessions_json,
    read_subagent_runs,
)
from clawscope.sources.state_db import read_state_db
from clawscope.sources.transcript import DecoderState, TranscriptDecoder
from clawscope.store import Store, Writer
from clawscope.store.writer import FLUSH_ENTRIES, Unit, WriterThread

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


class IngestReport(msgspec.Struct):
    """What one ingest added. Counts are of new rows (a re-run on unchanged state reports zeros)."""

    files: int = 0
    sessions: int = 0
    entries: int = 0
    llm_calls: int = 0
    tool_calls: int = 0
    cron_runs: int = 0
    subagent_runs: int = 0
    problems: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "files": self.files,
            "sessions": self.sessions,
            "entries": self.entries,
            "llmCalls": self.llm_calls,
            "toolCalls": self.tool_calls,
            "cronRuns": self.cron_runs,
            "subagentRuns": self.subagent_runs,
        }


class _Run:
    """State of one ingest run."""

    def __init__(self, store: Store, instance: str, now: float, estimate: bool, batch_entries: int) -> None:
        self.store = store
        self.instance = instance
        self.now = now
        self.writer = Writer(store.engine, pricing.estimate if estimate else None, batch_entries)
        self.thread = WriterThread(self.writer, on_commit=self._committed)
        self.report = IngestReport()
        self.has_entries = store.sessions_with_entries()
        self.deleted = store.deleted_session_ids()
        self.progress: ProgressFn | None = None
        self.bytes_done = 0
        self.bytes_total = 0

    def seen_for(self, session_id: str) -> set[str]:
        """Entry ids already stored for a session (empty for a new one)."""
        if session_id in self.writer.pending_sessions or self.thread.in_flight(session_id):
            self.flush()
            self.thread.drain()  # its rows must be committed before we read them back
        return self.store.entry_ids(session_id) if session_id in self.has_entries else set()

    def _committed(self, unit: Unit) -> None:  # runs in the writer thread
        self.has_entries.update(b.session_id for b in unit.batches if b.entries)

    def flush(self) -> None:
        self.thread.submit(self.writer.take())

    def finish(self) -> None:
        self.flush()
        self.thread.close()

    def maybe_flush(self) -> None:
        if self.writer.should_flush():
            self.flush()

    def advance(self, n: int) -> None:
        self.bytes_done += n
        if self.progress is not None:
            self.progress(self.bytes_done, self.bytes_total)


def ingest(
    store: Store,
    state_dirs: Sequence[Path],
    *,
    instance: str,
    estimate: bool = True,
    progress: ProgressFn | None = None,
    now: float | None = None,
    batch_entries: int = FLUSH_ENTRIES,
) -> IngestReport:
    """Ingest everything new in these OpenClaw state dirs.

    `batch_entries` bounds how many entries one transaction writes (memory, and crash granularity).
    """
    started = time.time()
    run = _Run(store, instance, now if now is not None else started, estimate, batch_entries)
    run.progress = progress
    problems_before = store.problem_count()
    plans = [(Path(d), agent_dirs(Path(d))) for d in state_dirs]
    run.bytes_total = sum(_pending_bytes(agents) for _, agents in plans)
    try:
        for state_dir, agents in plans:
            _registries(run, state_dir)
            for agent in agents:
                run.writer.add_registry("agents", [Agent(agent.agent_id, instance, str(state_dir))])
                if agent.sessions_dir:
                    _jsonl_agent(run, agent)
                if agent.sqlite_path:
                    _sqlite_agent(run, agent)
    finally:
        run.finish()  # commits what was read (also on an error: the cursors say how far)
    store.link_sessions()
    w = run.writer.written
    report = run.report
    report.sessions, report.entries = w["sessions"], w["entries"]
    report.llm_calls, report.tool_calls = w["llm_calls"], w["tool_calls"]
    report.problems = store.problem_count() - problems_before
    report.seconds = time.time() - started
    store.record_run(int(started * 1000), "ok", report.counts())
    return report


# -- registries -------------------------------------------------------------------------------------


def _changed(run: _Run, key: str, path: str) -> str | None:
    """The file's signature if it changed since its cursor (None when unchanged or missing)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    sig = f"{st.st_size}:{st.st_mtime_ns}"
    cur = run.store.cursor(key)
    return None if cur is not None and msgspec.json.decode(cur) == sig else sig


def _registries(run: _Run, state_dir: Path) -> None:
    jobs = str(state_dir / "cron" / "jobs.json")
    if sig := _changed(run, "cronjobs:" + jobs, jobs):
        found, problems = read_cron_jobs(jobs, run.instance)
        run.writer.add_registry("cron_jobs", found)
        run.writer.add_problems(problems)
        run.writer.set_cursor("cronjobs:" + jobs, sig)
    for path in cron_run_files(str(state_dir / "cron")):
        if sig := _changed(run, "cronruns:" + path, path):
            runs, problems = read_cron_runs(path, run.instance)
            run.writer.add_registry("cron_runs", runs)
            run.writer.add_meta(m for m in (cron_run_meta(r, None) for r in runs) if m is not None)
            run.writer.add_problems(problems)
            run.writer.set_cursor("cronruns:" + path, sig)
            run.report.cron_runs += len(runs)
    subs = str(state_dir / "subagents" / "runs.json")
    if sig := _changed(run, "subagents:" + subs, subs):
        found_runs, problems = read_subagent_runs(subs, run.instance)
        run.writer.add_registry("subagent_runs", found_runs)
        run.writer.add_problems(problems)
        run.writer.set_cursor("subagents:" + subs, sig)
        run.report.subagent_runs += len(found_runs)
    state_db = str(state_dir / "state" / "openclaw.sqlite")
    if os.path.exists(state_db) and (sig := sq.db_signature(state_db)) != _cursor_str(
        run, "statedb:" + state_db
    ):
        reg = read_state_db(state_db, run.instance)
        run.writer.add_registry("cron_jobs", reg.cron_jobs)
        run.writer.add_registry("cron_runs", reg.cron_runs)
        run.writer.add_registry("subagent_runs", reg.subagent_runs)
        run.writer.add_meta(m for m in (cron_run_meta(r, None) for r in reg.cron_runs) if m is not None)
        run.writer.add_problems(reg.problems)
        run.writer.set_cursor("statedb:" + state_db, sig)
        run.report.cron_runs += len(reg.cron_runs)
        run.report.subagent_runs += len(reg.subagent_runs)


def _cursor_str(run: _Run, key: str) -> str | None:
    cur = run.store.cursor(key)
    return msgspec.json.decode(cur) if cur is not None else None


# -- JSONL era ----------------------------------------------------------------------------------------


def _pending_bytes(agents: Iterable[AgentDir]) -> int:
    total = 0
    for agent in agents:
        for tf in transcript_files(Path(agent.sessions_dir)) if agent.sessions_dir else ():
            with contextlib.suppress(OSError):
                total += os.path.getsize(tf.path)
    return total


def _jsonl_agent(run: _Run, agent: AgentDir) -> None:
    assert agent.sessions_dir is not None
    store_path = os.path.join(agent.sessions_dir, "sessions.json")
    if sig := _changed(run, "sessions.json:" + store_path, store_path):
        res = read_sessions_json(store_path, agent.agent_id, run.instance)
        run.writer.add_meta(res.metas)
        run.writer.add_problems(res.problems)
        run.writer.set_cursor("sessions.json:" + store_path, sig)
    cursors = run.store.cursors("jsonl:" + agent.sessions_dir + os.sep)
    files = transcript_files(Path(agent.sessions_dir))
    for session_id, group in groupby(files, key=lambda f: f.session_id):
        if session_id in run.deleted:
            continue
        todo = []
        for tf in group:
            cursor = _file_cursor(cursors.get("jsonl:" + tf.path))
            try:
                st = os.stat(tf.path)
            except OSError:
                continue
            settled = run.now - st.st_mtime > 300 or tf.variant != "active"
            if is_unchanged(cursor, st, settled):
                run.advance(st.st_size)
            else:
                todo.append((tf, cursor))
        if todo:
            _read_session_files(run, agent, session_id, todo)


def _read_session_files(
    run: _Run, agent: AgentDir, session_id: str, todo: list[tuple[TranscriptFile, FileCursor | None]]
) -> None:
    seen = run.seen_for(session_id)
    for tf, cursor in todo:
        run.report.files += 1
        done_before = cursor.offset if cursor is not None else 0
        last = done_before
        for result in read_transcript(tf, cursor, seen, run.now):
            run.writer.add_meta([_header_meta(run, agent, tf, result)])
            run.writer.add_batch(result.batch)
            run.writer.set_cursor("jsonl:" + tf.path, result.cursor)
            run.advance(max(0, result.cursor.offset - last))
            last = result.cursor.offset
            run.maybe_flush()


def _header_meta(run: _Run, agent: AgentDir, tf: TranscriptFile, result: ReadResult) -> SessionMeta:
    return SessionMeta(
        session_id=tf.session_id,
        instance=run.instance,
        agent_id=agent.agent_id,
        inferred_kind=result.cursor.state.inferred_kind,
        job_id=None,
        cwd=result.cwd,
        header_version=result.header_version,
        started_ms=None,
        source=SourceKind.JSONL,
    )


def _file_cursor(raw: bytes | None) -> FileCursor | None:
    if raw is None:
        return None
    try:
        return msgspec.json.decode(raw, type=FileCursor)
    except msgspec.ValidationError:
        return None  # an older cursor format: read the file again (dedupe keeps it exact)


# -- SQLite era -----------------------------------------------------------------------------------------


def _sqlite_agent(run: _Run, agent: AgentDir) -> None:
    assert agent.sqlite_path is not None
    path = agent.sqlite_path
    db_key = "sqlite:" + path
    sig = sq.db_signature(path)
    if _cursor_str(run, db_key) == sig:
        return
    prefix = db_key + "#"
    saved = {k[len(prefix) :]: v for k, v in run.store.cursors(prefix).items()}
    with sq.open_readonly(path) as conn:
        run.writer.add_meta(sq.session_metas(conn, agent.agent_id, run.instance))
        heads = sq.event_heads(conn)
        gens = sq.generations(conn)
        for session_id in sorted(heads):
            if session_id in run.deleted:
                continue
            cursor = _session_cursor(saved.get(session_id))
            gen = gens.get(session_id)
            if cursor.generation is not None and gen is not None and gen != cursor.generation:
                cursor = sq.SessionCursor(generation=gen)  # rewritten: read again, dedupe keeps it exact
            if heads[session_id] <= cursor.seq:
                continue
            _read_sqlite_session(run, conn, path, session_id, cursor, gen, prefix + session_id)
    run.writer.set_cursor(db_key, sig)


def _read_sqlite_session(
    run: _Run,
    conn: sqlite3.Connection,
    path: str,
    session_id: str,
    cursor: sq.SessionCursor,
    gen: str | None,
    key: str,
) -> None:
    run.report.files += 1
    seen = run.seen_for(session_id)
    state = msgspec.structs.replace(cursor.state) if cursor.seq >= 0 else DecoderState()
    decoder = TranscriptDecoder(session_id, "sqlite", path, state, seen)
    for last_seq in sq.read_events(conn, session_id, cursor.seq, decoder):
        run.writer.add_batch(decoder.take())
        saved = sq.SessionCursor(seq=last_seq, generation=gen, state=msgspec.structs.replace(decoder.state))
        run.writer.set_cursor(key, saved)
        run.maybe_flush()
    if decoder.header is not None or decoder.state.inferred_kind is not None:
        h = decoder.header
        run.writer.add_meta(
            [
                SessionMeta(
                    session_id=session_id,
                    instance=run.instance,
                    inferred_kind=decoder.state.inferred_kind,
                    cwd=h.cwd if h else None,
                    header_version=h.version if h else None,
                    source=SourceKind.SQLITE,
                )
            ]
        )


def _session_cursor(raw: bytes | None) -> sq.SessionCursor:
    if raw is None:
        return sq.SessionCursor()
    try:
        return msgspec.json.decode(raw, type=sq.SessionCursor)
    except msgspec.ValidationError:
        return sq.SessionCursor()
