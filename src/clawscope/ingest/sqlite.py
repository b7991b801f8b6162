"""Ingest of an SQLite-era agent store, one session at a time, `seq` after `seq`.

A database whose file and WAL are unchanged since the last run is not even opened. A session whose
rewrite generation changed is read again from the start (entries already stored are skipped).
"""

from __future__ import annotations

import sqlite3

import msgspec

from clawscope.ingest.run import Run
from clawscope.model import SessionMeta, SourceKind
from clawscope.sources import openclaw_sqlite as sq
from clawscope.sources.files import unreadable, why_unreadable
from clawscope.sources.layout import AgentDir
from clawscope.sources.transcript import DecoderState, TranscriptDecoder


def ingest_sqlite_agent(run: Run, agent: AgentDir) -> None:
    """Read what is new in the agent's store; a file that is no SQLite store (or cannot be read) is an
    `unreadable` problem, and its cursor is not moved (the next run tries again)."""
    assert agent.sqlite_path is not None
    path = agent.sqlite_path
    if (why := why_unreadable(path)) is not None:
        run.writer.add_problems([unreadable("sqlite", path, why)])
        return
    try:
        _ingest_agent(run, agent, path)
    except sqlite3.DatabaseError as exc:
        what = "not an SQLite database" if "not a database" in str(exc) else "cannot read the SQLite store"
        run.writer.add_problems([unreadable("sqlite", path, f"{what}: {exc}")])


def _ingest_agent(run: Run, agent: AgentDir, path: str) -> None:
    db_key = "sqlite:" + path
    sig = sq.db_signature(path)
    if run.cursor_json(db_key) == sig:
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
            _read_session(run, conn, path, session_id, cursor, gen, prefix + session_id)
    run.writer.set_cursor(db_key, sig)


def _read_session(
    run: Run,
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
        # what the header and the records so far say, in the same unit as the cursor: a crash after
        # this unit must not lose it (the rerun resumes after the header and never reads it again)
        _add_meta(run, session_id, decoder)
        saved = sq.SessionCursor(seq=last_seq, generation=gen, state=msgspec.structs.replace(decoder.state))
        run.writer.set_cursor(key, saved)
        run.maybe_flush()


def _add_meta(run: Run, session_id: str, decoder: TranscriptDecoder) -> None:
    h = decoder.header
    if h is not None or decoder.state.inferred_kind is not None:
        meta = SessionMeta(
            session_id=session_id,
            instance=run.instance,
            inferred_kind=decoder.state.inferred_kind,
            cwd=h.cwd if h else None,
            header_version=h.version if h else None,
            source=SourceKind.SQLITE,
        )
        run.writer.add_meta([meta])


def _session_cursor(raw: bytes | None) -> sq.SessionCursor:
    if raw is None:
        return sq.SessionCursor()
    try:
        return msgspec.json.decode(raw, type=sq.SessionCursor)
    except msgspec.ValidationError:
        return sq.SessionCursor()
