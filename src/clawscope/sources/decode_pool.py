"""Decoding transcript files in worker processes, for large backlogs (a first ingest of a history).

On a machine with several cores, decoding (Python, holding the GIL) and writing (SQLite and zstd,
mostly without it) compete for one interpreter; worker processes decode while the main process
writes. A worker reads whole session groups (a session's active file, archives and copies, in
order, deduplicated as the sequential path does) and returns their chunks and cursors, encoded
with msgpack. The main process consumes results in submission order, so commits happen in the same
order as without workers and the database is the same.

It lives in `sources`, not `ingest`, so that a worker imports the decoder only: importing anything
of `clawscope.ingest` loads the store (SQLAlchemy, cryptography), 36 MB more in every worker.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import msgspec

from clawscope.sources.layout import TranscriptFile
from clawscope.sources.openclaw_jsonl import FileCursor, ReadResult, read_transcript

# files per task: big enough to amortise the hand-over, small enough to stream; each task in flight is held
# decoded in the parent (4 MiB tasks: 43 MB of decoded results; 2 MiB cost no measured time)
TASK_BYTES = 2 << 20


class Group(msgspec.Struct):
    """One session's files to read, with their cursors and the entry ids already stored."""

    session_id: str
    files: list[tuple[TranscriptFile, FileCursor | None]]
    seen: list[str] = msgspec.field(default_factory=list)
    size: int = 0


class GroupResult(msgspec.Struct):
    session_id: str
    results: list[tuple[TranscriptFile, ReadResult]]


_ENCODE = msgspec.msgpack.Encoder()
_DECODE = msgspec.msgpack.Decoder(list[GroupResult])


def decode_groups(groups: list[Group], now: float) -> bytes:
    """The worker: read every file of these groups (runs in a worker process)."""
    out = []
    for group in groups:
        seen = set(group.seen)
        results = [(tf, r) for tf, cursor in group.files for r in read_transcript(tf, cursor, seen, now)]
        out.append(GroupResult(group.session_id, results))
    return _ENCODE.encode(out)


def tasks(groups: Iterable[Group]) -> Iterator[list[Group]]:
    """Groups packed into tasks of about TASK_BYTES of files."""
    task: list[Group] = []
    size = 0
    for group in groups:
        task.append(group)
        size += group.size
        if size >= TASK_BYTES:
            yield task
            task, size = [], 0
    if task:
        yield task


class DecodePool:
    """A process pool that decodes tasks; at most two tasks per worker are in flight (bounded memory)."""

    def __init__(self, workers: int) -> None:
        # spawn: the parent runs a writer thread, and forking a threaded process is unsafe.
        self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self.depth = 2 * workers

    def map(self, work: Iterable[list[Group]], now: float) -> Iterator[list[GroupResult]]:
        pending: deque[Future[bytes]] = deque()
        for task in work:
            pending.append(self.executor.submit(decode_groups, task, now))
            if len(pending) >= self.depth:
                yield _DECODE.decode(pending.popleft().result())
        while pending:
            yield _DECODE.decode(pending.popleft().result())

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
