"""The sessions of a state dir as whole units to push elsewhere (`clawscope sync`), both eras.

A session is exported with every record of every file (or store) that holds it — active transcript,
archives, copies — in local ingest's reading order and with the positions local ingest gives them,
plus the metadata local ingest would read for it (`sessions.json`, `session_windows`). The receiving
server decodes them with the same decoder, so a synced session counts exactly as an ingested one.

A session is complete when no lock file marks a run in progress and nothing of it changed for
`settle_s` seconds.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import msgspec
import zstandard

from clawscope.model import SessionMeta
from clawscope.sources import openclaw_sqlite as sq
from clawscope.sources.layout import AgentDir, TranscriptFile, agent_dirs, transcript_files
from clawscope.sources.registries import read_sessions_json
from clawscope.sources.transcript import TranscriptDecoder


class OutPart(msgspec.Struct):
    source: str  # "jsonl" | "sqlite"
    path: str  # relative to the state dir
    records: list[bytes]
    positions: list[int]


class OutSession(msgspec.Struct):
    session_id: str
    agent_id: str
    parts: list[OutPart]
    metas: list[SessionMeta]
    complete: bool
    fingerprint: str = ""

    def entries(self) -> int:
        return sum(len(p.records) for p in self.parts)


def sessions(state_dir: Path, now_s: float, settle_s: float) -> Iterator[OutSession]:
    """Every session of a state dir, agent by agent (JSONL era first, then the SQLite store)."""
    for agent in agent_dirs(state_dir):
        if agent.sessions_dir:
            yield from _jsonl_sessions(state_dir, agent, now_s, settle_s)
        if agent.sqlite_path:
            yield from _sqlite_sessions(state_dir, agent, now_s, settle_s)


def _finish(s: OutSession) -> OutSession:
    h = hashlib.sha256()
    for part in s.parts:
        h.update(f"{part.source}:{part.path}:{len(part.records)}\n".encode())
        for raw in part.records:
            h.update(raw)
            h.update(b"\n")
    s.fingerprint = h.hexdigest()
    return s


def _jsonl_sessions(state_dir: Path, agent: AgentDir, now_s: float, settle_s: float) -> Iterator[OutSession]:
    assert agent.sessions_dir is not None
    store_path = os.path.join(agent.sessions_dir, "sessions.json")
    metas: dict[str, list[SessionMeta]] = {}
    if os.path.exists(store_path):
        for m in read_sessions_json(store_path, agent.agent_id, "").metas:
            metas.setdefault(m.session_id, []).append(m)
    names = set(os.listdir(agent.sessions_dir))
    for session_id, group in groupby(transcript_files(agent.sessions_dir), key=lambda f: f.session_id):
        files = list(group)
        locked = f"{session_id}.jsonl.lock" in names
        newest = max((_mtime(f.path) for f in files), default=0.0)
        parts = [_jsonl_part(state_dir, f) for f in files]
        meta = [
            *metas.get(session_id, []),
            SessionMeta(session_id=session_id, instance="", agent_id=agent.agent_id),
        ]
        complete = not locked and now_s - newest >= settle_s
        yield _finish(OutSession(session_id, agent.agent_id, parts, meta, complete))


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _jsonl_part(state_dir: Path, tf: TranscriptFile) -> OutPart:
    """Every record of a file, with local ingest's positions (line index; blank lines skipped)."""
    with open(tf.path, "rb") as fh:
        data = zstandard.ZstdDecompressor().stream_reader(fh).read() if tf.compressed else fh.read()
    records, positions = [], []
    for i, raw in enumerate(data.split(b"\n")):
        if raw.strip():
            records.append(raw.rstrip(b"\r"))
            positions.append(i)
    return OutPart("jsonl", os.path.relpath(tf.path, state_dir), records, positions)


class _Collector(TranscriptDecoder):
    """Takes the records `read_events` feeds, undecoded; problems of the store itself are dropped
    here and found again by the receiving server's own decoding where they concern records."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id, "sqlite", "")
        self.records: list[bytes] = []
        self.positions: list[int] = []

    def feed(self, raw: bytes, pos: int, where: str) -> str | None:  # noqa: ARG002
        self.records.append(raw)
        self.positions.append(pos)
        return None


def _sqlite_sessions(state_dir: Path, agent: AgentDir, now_s: float, settle_s: float) -> Iterator[OutSession]:
    assert agent.sqlite_path is not None
    rel = os.path.relpath(agent.sqlite_path, state_dir)
    changed_s = max(_mtime(agent.sqlite_path), _mtime(agent.sqlite_path + "-wal"))
    with sq.open_readonly(agent.sqlite_path) as conn:
        metas: dict[str, list[SessionMeta]] = {}
        for m in sq.session_metas(conn, agent.agent_id, ""):
            metas.setdefault(m.session_id, []).append(m)
        for session_id in sorted(sq.event_heads(conn)):
            col = _Collector(session_id)
            for _ in sq.read_events(conn, session_id, -1, col):
                pass
            found = metas.get(session_id, [])
            updated = max((m.updated_ms or m.ended_ms or 0 for m in found), default=0) / 1000
            complete = now_s - (updated if updated > 0 else changed_s) >= settle_s
            part = OutPart("sqlite", rel, col.records, col.positions)
            meta = [*found, SessionMeta(session_id=session_id, instance="", agent_id=agent.agent_id)]
            yield _finish(OutSession(session_id, agent.agent_id, [part], meta, complete))
