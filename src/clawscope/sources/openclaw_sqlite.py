"""Reads the SQLite-era agent store (`agents/<id>/agent/openclaw-agent.sqlite`, OpenClaw ≥ 2026.8.1).

The database may be live: a gateway writes it in WAL mode while we read. It is opened read-only
(`mode=ro`, `query_only`) and read in short statements, each its own read transaction, so no lock is
held that could block the gateway; a WAL reader never blocks a writer. Rows come in `seq` order per
session; `event_json` holds the record, or `event_zstd` holds it zstd-compressed (rows ≥ 1 KiB,
format doc §1.3 — a reader that only selects `event_json` silently drops them).

When the file cannot be opened read-only in place (a read-only folder with a WAL file, as in a
copied backup), a private snapshot copy is read instead.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import msgspec
import zstandard

from clawscope.model import ProblemCode, SessionMeta, Severity, SourceKind
from clawscope.sources.registries import meta_from_entry
from clawscope.sources.session_keys import parse_session_key
from clawscope.sources.transcript import DecoderState, TranscriptDecoder
from clawscope.sources.wire import to_ms

PAGE_ROWS = 2000
MAX_EVENT_BYTES = 64 << 20
_JSON = msgspec.json.Decoder()


class SessionCursor(msgspec.Struct, omit_defaults=True):
    """How far one session's `transcript_events` have been read."""

    seq: int = -1
    generation: str | None = None
    state: DecoderState = msgspec.field(default_factory=DecoderState)


def db_signature(path: str) -> str:
    """Changes whenever the database (or its WAL) changes: the cheap re-run check."""
    parts = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(path + suffix)
        except OSError:
            parts.append("-")
            continue
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


@contextmanager
def open_readonly(path: str) -> Iterator[sqlite3.Connection]:
    """Open an agent store without writing to it or blocking its writer."""
    try:
        conn = _connect(path)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        with tempfile.TemporaryDirectory(prefix="clawscope-snap-") as tmp:
            copy = os.path.join(tmp, "snapshot.sqlite")
            shutil.copyfile(path, copy)
            if os.path.exists(path + "-wal"):
                shutil.copyfile(path + "-wal", copy + "-wal")
            conn = _connect(copy)
            try:
                yield conn
            finally:
                conn.close()
        return
    try:
        yield conn
    finally:
        conn.close()


def _connect(path: str) -> sqlite3.Connection:
    uri = "file:" + quote(str(Path(path).resolve())) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    conn.text_factory = _text  # other text columns (keys, names): invalid UTF-8 must not stop the read
    return conn


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def session_metas(conn: sqlite3.Connection, agent_id: str, instance: str) -> list[SessionMeta]:
    """Metadata of every transcript session: `session_windows`, completed by `session_nodes`."""
    wcols = _columns(conn, "session_windows")
    if "session_id" not in wcols:
        return []
    want = [
        "session_id",
        "session_key",
        "started_at",
        "ended_at",
        "created_at",
        "updated_at",
        "status",
        "chat_type",
        "channel",
        "model_provider",
        "model",
        "parent_session_key",
        "spawned_by",
        "display_name",
    ]
    cols = [c for c in want if c in wcols]
    nodes = _nodes(conn)
    metas = []
    for row in conn.execute(f"SELECT {', '.join(cols)} FROM session_windows"):
        w = dict(zip(cols, row, strict=True))
        metas.append(_window_meta(w, nodes.get(w.get("session_key") or ""), agent_id, instance))
    return metas


def _nodes(conn: sqlite3.Connection) -> dict[str, tuple[str | None, dict[str, object]]]:
    ncols = _columns(conn, "session_nodes")
    if not {"session_key", "entry_json"} <= ncols:
        return {}
    current = "current_session_id" if "current_session_id" in ncols else "NULL"
    out: dict[str, tuple[str | None, dict[str, object]]] = {}
    for key, cur, entry_json in conn.execute(f"SELECT session_key, {current}, entry_json FROM session_nodes"):
        try:
            entry = _JSON.decode(entry_json) if entry_json else {}
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            entry = {}
        out[key] = (cur, entry if isinstance(entry, dict) else {})
    return out


def _window_meta(
    w: dict[str, object], node: tuple[str | None, dict[str, object]] | None, agent_id: str, instance: str
) -> SessionMeta:
    sid = str(w["session_id"])
    key = w.get("session_key")
    key_s = key if isinstance(key, str) and key else None
    if node is not None and node[0] == sid and node[1].get("sessionId") == sid:
        base = meta_from_entry(key_s or "", node[1], agent_id, instance, SourceKind.SQLITE)
    else:
        sk = parse_session_key(key_s) if key_s else None
        base = SessionMeta(
            session_id=sid,
            instance=instance,
            agent_id=(sk.agent_id if sk else None) or agent_id,
            key=key_s,
            kind=sk.kind if sk else None,
            trigger=sk.trigger if sk else None,
            parent_key=sk.parent_key if sk else None,
            job_id=sk.job_id if sk else None,
            source=SourceKind.SQLITE,
        )
    return msgspec.structs.replace(
        base,
        channel=base.channel or _s(w.get("channel")),
        chat_type=base.chat_type or _s(w.get("chat_type")),
        parent_key=base.parent_key or _s(w.get("parent_session_key")) or _s(w.get("spawned_by")),
        display_name=base.display_name or _s(w.get("display_name")),
        status=_s(w.get("status")) or base.status,
        started_ms=_i(w.get("started_at")) or base.started_ms or _i(w.get("created_at")),
        ended_ms=_i(w.get("ended_at")) or base.ended_ms,
        updated_ms=_i(w.get("updated_at")) or base.updated_ms,
        model_provider=base.model_provider or _s(w.get("model_provider")),
        model=base.model or _s(w.get("model")),
    )


def event_heads(conn: sqlite3.Connection) -> dict[str, int]:
    """The last `seq` of every session that has transcript events."""
    return dict(conn.execute("SELECT session_id, max(seq) FROM transcript_events GROUP BY session_id"))


def generations(conn: sqlite3.Connection) -> dict[str, str]:
    """Rewrite generations: a session whose generation changed is read again from the start."""
    if not _columns(conn, "transcript_rewrite_watermarks"):
        return {}
    return {
        sid: str(gen)
        for sid, gen in conn.execute("SELECT session_id, generation FROM transcript_rewrite_watermarks")
    }


def read_events(
    conn: sqlite3.Connection, session_id: str, after_seq: int, decoder: TranscriptDecoder
) -> Iterator[int]:
    """Feed the session's events after `after_seq` to the decoder, a page at a time; yield the last
    seq of each page (the caller takes the decoder's batch and saves that seq with it)."""
    has_zstd = "event_zstd" in _columns(conn, "transcript_events")
    # event_json is read as bytes: invalid UTF-8 in it is the decoder's problem (`invalid_utf8`), not an
    # OperationalError from the driver that stops every run at the same row
    event_json = "CAST(event_json AS BLOB)"
    cols = f"seq, {event_json}, " + ("event_zstd, event_utf8_bytes" if has_zstd else "NULL, NULL")
    dctx = zstandard.ZstdDecompressor()
    last = after_seq
    while True:
        rows = conn.execute(
            f"SELECT {cols} FROM transcript_events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (session_id, last, PAGE_ROWS),
        ).fetchall()
        if not rows:
            return
        for seq, event_json, event_zstd, utf8_bytes in rows:
            raw = _event_bytes(event_json, event_zstd, utf8_bytes, dctx, decoder, seq)
            if raw is not None:
                decoder.feed(raw, seq, f"session {session_id} seq {seq}")
            last = seq
        yield last


def _event_bytes(
    event_json: str | bytes | None,
    event_zstd: bytes | None,
    utf8_bytes: int | None,
    dctx: zstandard.ZstdDecompressor,
    decoder: TranscriptDecoder,
    seq: int,
) -> bytes | None:
    if event_json is not None:
        return (
            event_json.encode("utf-8", "surrogatepass") if isinstance(event_json, str) else bytes(event_json)
        )
    if event_zstd is None:
        decoder.problem(
            f"seq {seq}",
            ProblemCode.MISSING_FIELD,
            "row has neither event_json nor event_zstd",
            Severity.ERROR,
        )
        return None
    try:
        limit = (
            utf8_bytes
            if isinstance(utf8_bytes, int) and 0 < utf8_bytes <= MAX_EVENT_BYTES
            else MAX_EVENT_BYTES
        )
        return dctx.decompress(bytes(event_zstd), max_output_size=limit)
    except zstandard.ZstdError as exc:
        decoder.problem(
            f"seq {seq}",
            ProblemCode.BAD_COMPRESSION,
            f"event_zstd cannot be decompressed: {exc}",
            Severity.ERROR,
            bytes(event_zstd)[:64].hex().encode(),
        )
        return None


def header_ms(value: object) -> int | None:
    return to_ms(value) if isinstance(value, int | float) else None


def _s(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def _i(v: object) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
