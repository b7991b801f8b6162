"""Ingest of JSONL-era sessions folders: plan what changed and read it as planned (in-process or in
workers), one stream per agent.

A session's files are read together, active file first, then archives, then copies, with one set
of seen entry ids, so that each entry counts once. Files whose cursor says nothing changed are not
opened; files in the folder's manifest (`manifest.py`) do not even have their cursor fetched.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import suppress
from itertools import chain, groupby
from typing import TypeVar

import msgspec

from clawscope.ingest import manifest
from clawscope.ingest.registries import changed
from clawscope.ingest.run import Run
from clawscope.model import ProblemCode, SessionMeta, SourceKind
from clawscope.sources.decode_pool import DecodePool, Group, tasks
from clawscope.sources.files import unreadable, why_unreadable
from clawscope.sources.layout import (
    IMMUTABLE_VARIANTS,
    READ_ORDER,
    AgentDir,
    TranscriptFile,
    classify,
    transcript_files,
    transcripts_named,
)
from clawscope.sources.openclaw_jsonl import (
    CursorStamp,
    FileCursor,
    ReadResult,
    is_read_through,
    is_unchanged,
    read_transcript,
)
from clawscope.sources.registries import read_sessions_json

SETTLE_S = 300
_NS_PER_S = 1e9
CURSOR_KEYS_MAX = 4096  # files to decide beyond the manifest: more, and the folder's cursors come at once
T = TypeVar("T", FileCursor, CursorStamp)


class Decoding:
    """Where planned groups are decoded: in this process, or by a pool of `workers` processes started
    once the groups planned so far (this run, every agent) reach `min_bytes`, or at once when `eager`.
    Below that, starting worker processes costs more than it saves; deciding on the way lets the plan
    stream instead of sizing the whole backlog first."""

    def __init__(self, workers: int, min_bytes: int, *, eager: bool) -> None:
        self.workers, self.min_bytes = workers, min_bytes
        self.pool = DecodePool(workers) if eager and workers > 0 else None
        self.planned = 0

    def __enter__(self) -> Decoding:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.close()

    def route(self, groups: Iterator[Group]) -> Iterator[Group]:
        """The same groups; on the way, starts the pool once they reach `min_bytes`. Those planned
        before it started are held (at most `min_bytes` of files), so that every group of a large
        backlog goes to the pool."""
        if self.pool is not None or self.workers <= 0:
            return groups
        held: list[Group] = []
        for group in groups:
            held.append(group)
            self.planned += group.size
            if self.planned >= self.min_bytes:
                self.pool = DecodePool(self.workers)
                break
        return chain(held, groups)


class Shortcut:
    """A sessions folder's manifest (`manifest.py`) through one run: the stamps it had (`known`) and
    those of the next (`kept`), saved after the folder's last read result is handed to the writer, so
    that every cursor it relies on is committed with it or before it."""

    def __init__(self, run: Run, folder: str) -> None:
        self.key = manifest.KEY + folder
        self.known = manifest.decode(run.store.cursor(self.key))
        self.kept: set[int] = set()

    def keep(self, name: str, cursor: FileCursor | CursorStamp, variant: str, now: float) -> None:
        """Put file `name` in the next manifest if `cursor` says it was read to its end (its cut-off
        last line reported) and it has settled; stamped as the cursor saw it."""
        if is_read_through(cursor) and (
            variant in IMMUTABLE_VARIANTS or cursor.mtime_ns < (now - SETTLE_S) * _NS_PER_S
        ):
            with suppress(ValueError):  # (an identity that is not `device:inode`: left to its cursor)
                self.kept.add(manifest.stamp(name, cursor.size, cursor.mtime_ns, cursor.identity))

    def save(self, run: Run) -> None:
        if self.kept != self.known:  # (unchanged: not rewritten)
            run.writer.set_cursor(self.key, manifest.encode(self.kept))


def read_jsonl_agent(run: Run, agent: AgentDir, decoding: Decoding) -> None:
    """Plan the agent's session groups with something new and read them, one stream: the plan runs
    ahead of the reading by the tasks in flight, not by the agent's whole history."""
    assert agent.sessions_dir is not None
    shortcut = Shortcut(run, agent.sessions_dir)
    groups = decoding.route(plan_jsonl_agent(run, agent, shortcut))
    if decoding.pool is not None:
        for done in decoding.pool.map(tasks(groups), run.now):
            for result in done:
                for tf, read in result.results:
                    _add(run, agent, tf, read, shortcut)
    else:
        for group in groups:
            seen = set(group.seen)
            for tf, cursor in group.files:
                for read in read_transcript(tf, cursor, seen, run.now):
                    _add(run, agent, tf, read, shortcut)
    shortcut.save(run)


def transcript_bytes(agent: AgentDir) -> int:
    """The size of the agent's transcript files (the progress bar's total)."""
    total = 0
    for tf in transcript_files(agent.sessions_dir) if agent.sessions_dir else ():
        with suppress(OSError):
            total += os.stat(tf.path).st_size
    return total


def plan_jsonl_agent(run: Run, agent: AgentDir, shortcut: Shortcut) -> Iterator[Group]:
    """Read the agent's sessions.json if it changed; yield the session groups with something new
    (files in the folder's manifest are passed on their stamp)."""
    assert agent.sessions_dir is not None
    store_path = os.path.join(agent.sessions_dir, "sessions.json")
    if sig := changed(run, "sessions.json:" + store_path, store_path):
        res = read_sessions_json(store_path, agent.agent_id, run.instance)
        run.writer.add_meta(res.metas)
        run.writer.add_problems(res.problems)
        if not any(p.code == ProblemCode.UNREADABLE for p in res.problems):  # else: try again next run
            run.writer.set_cursor("sessions.json:" + store_path, sig)
        # written now, and waited for, not with the first transcripts: a store of 30,000 sessions is
        # 40 MB of metadata, which would otherwise be held while the first groups are decoded
        del res
        run.settle()
    folder = agent.sessions_dir
    unknown = _unknown_files(run, folder, shortcut)
    if shortcut.known and len(unknown) <= CURSOR_KEYS_MAX:
        cursors = run.store.cursors_of(["jsonl:" + tf.path for tf in unknown])
    else:  # a first run, or much has changed: the folder's cursors in one range of the index
        cursors = run.store.cursors("jsonl:" + folder + os.sep)
    for session_id, files in groupby(unknown, key=lambda f: f.session_id):
        if session_id in run.deleted:
            continue
        todo: list[tuple[TranscriptFile, FileCursor | None]] = []
        size = 0
        for tf in files:
            try:
                st: os.stat_result | None = os.stat(tf.path)
            except OSError:
                st = None
            if st is None or not stat.S_ISREG(st.st_mode):  # only regular files are read
                if (why := why_unreadable(tf.path)) is not None:
                    run.writer.add_problems([unreadable("jsonl", tf.path, why)])
                continue  # (or removed since it was listed)
            raw = cursors.pop("jsonl:" + tf.path, None)  # (each is asked once: let it go)
            settled = run.now - st.st_mtime > SETTLE_S or tf.variant != "active"
            stamped = _decode(raw, CursorStamp)
            if is_unchanged(stamped, st, settled):
                assert stamped is not None  # (no cursor: never unchanged)
                run.advance(st.st_size)
                shortcut.keep(os.path.basename(tf.path), stamped, tf.variant, run.now)
            else:
                cursor = _decode(raw, FileCursor)
                todo.append((tf, cursor))
                done = cursor.offset if cursor is not None else 0
                run.advance(min(done, st.st_size))  # read by an earlier run: done already
                size += st.st_size - done
        if todo:
            run.report.files += len(todo)
            yield Group(session_id, todo, sorted(run.seen_for(session_id)), size)


def _unknown_files(run: Run, folder: str, shortcut: Shortcut) -> list[TranscriptFile]:
    """The folder's transcript files whose stamp is not in its manifest, in reading order. Keeps the
    stamps found in it, and those of the settled files that are not transcripts."""
    known, kept = shortcut.known, shortcut.kept
    names: list[str] = []
    count_hits = run.progress is not None  # (the progress total counts transcript files only)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return []  # (unlistable, or gone)
    try:  # listed through a descriptor, each file is stat'ed by its name alone, not its whole path
        with os.scandir(fd) as listing:
            for entry in listing:
                try:
                    st = entry.stat()
                except OSError:
                    names.append(entry.name)  # (the plan reports why, or finds it gone)
                    continue
                mark = manifest.stamp_of(entry.name, st)
                if mark in known:
                    kept.add(mark)
                    if count_hits and classify(entry.name)[0] in READ_ORDER:
                        run.advance(st.st_size)
                    continue
                variant, session_id, _ = classify(entry.name)
                if session_id and variant in READ_ORDER:
                    names.append(entry.name)
                elif run.now - st.st_mtime > SETTLE_S:  # never read: only its stamp is kept
                    kept.add(mark)
    except OSError:
        pass  # (unlistable, or gone: what was listed is planned)
    finally:
        os.close(fd)
    return transcripts_named(folder, names)


def _add(run: Run, agent: AgentDir, tf: TranscriptFile, read: ReadResult, shortcut: Shortcut) -> None:
    if read.cursor is None:  # not readable (permissions, replaced by a FIFO since the plan): a problem
        run.writer.add_problems(read.batch.problems)
        return
    run.writer.add_meta([_header_meta(run, agent, tf, read)])
    run.writer.add_batch(read.batch)
    run.writer.set_cursor("jsonl:" + tf.path, read.cursor)
    shortcut.keep(os.path.basename(tf.path), read.cursor, tf.variant, run.now)  # (its last chunk's)
    run.advance(sum(len(e.raw) + 1 for e in read.batch.entries))
    run.maybe_flush()


def _header_meta(run: Run, agent: AgentDir, tf: TranscriptFile, read: ReadResult) -> SessionMeta:
    assert read.cursor is not None
    return SessionMeta(
        session_id=tf.session_id,
        instance=run.instance,
        agent_id=agent.agent_id,
        inferred_kind=read.cursor.state.inferred_kind,
        cwd=read.cwd,
        header_version=read.header_version,
        source=SourceKind.JSONL,
    )


def _decode(raw: bytes | None, kind: type[T]) -> T | None:
    if raw is None:
        return None
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError:
        return None  # an older cursor format: read the file again (dedupe keeps it exact)
