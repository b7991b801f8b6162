"""The SQLite-era sink: `agents/<id>/agent/openclaw-agent.sqlite` as OpenClaw 2026.9.6 writes it.

The database gets OpenClaw's own schema (agent schema 23, copied as data from the real sample) and
the rows OpenClaw keeps for sessions: `session_nodes` (one per session key, `entry_json` = the
store entry), `session_windows` (one per transcript), `transcript_events` and
`transcript_event_identities` (one per record). Records of ≥ 1024 UTF-8 bytes are stored zstd
compressed (level 1, checksum) with a `navigation_json` projection when that saves ≥ max(64 B, 10 %),
except the header and records holding `\\u` escapes (format doc §1.3, `prepareTranscriptPayload`).
The schema's CHECK constraints call `octet_length()`, which SQLite < 3.43 lacks, so the writer
provides it. Cron and sub-agent registries live in `state/openclaw.sqlite` in this era; their schema
is not in the sample, so the demo does not invent one.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import zstandard

from clawscope.demo.sink import Node, Window
from clawscope.demo.totals import DemoTotals

APP_VERSION = "2026.9.6"
SCHEMA_VERSION = 23
MIN_COMPRESS_BYTES = 1024
_FLUSH = 4000
_NODE_SQL = (
    "INSERT INTO session_nodes (session_key, current_session_id, entry_json, updated_at, status, created_at, "
    "created_via, created_actor_type, created_actor_id, parent_session_key, spawned_by, label, display_name, "
    "last_interaction_at, last_activity_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_WINDOW_SQL = (
    "INSERT INTO session_windows (session_id, session_key, previous_session_id, reason, session_scope, "
    "created_at, "
    "updated_at, transcript_updated_at, transcript_observed_at, session_entry_provenance, acp_owned, "
    "started_at, "
    "ended_at, status, chat_type, channel, model_provider, model, agent_harness_id, parent_session_key, "
    "spawned_by, "
    "display_name) VALUES (?,?,?,?,?,?,?,?,?,1,0,?,?,?,?,?,?,?,'openclaw',?,?,?)"
)
_EVENT_SQL = (
    "INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, "
    "navigation_json) VALUES (?,?,?,?,?,?,?)"
)
_IDENTITY_SQL = (
    "INSERT INTO transcript_event_identities (session_id, event_id, seq, event_type, parent_id, "
    "message_idempotency_key, created_at) VALUES (?,?,?,?,?,?,?)"
)


def agent_schema() -> str:
    """OpenClaw 2026.9.6's `openclaw-agent.sqlite` DDL (data file next to this module)."""
    return resources.files("clawscope.demo").joinpath("openclaw_agent_schema.sql").read_text("utf-8")


def _octet_length(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    return len(str(value).encode("utf-8"))


def connect_writable(path: Path) -> sqlite3.Connection:
    """A connection that can evaluate the schema's CHECK constraints on any SQLite version."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("octet_length", 1, _octet_length, deterministic=True)
    return conn


class SqliteSink:
    """Writes one `openclaw-agent.sqlite` per agent under `root/agents/<id>/agent/`."""

    version = 4

    def __init__(self, root: Path, totals: DemoTotals) -> None:
        self.root = root
        self.totals = totals
        self._conn: sqlite3.Connection | None = None
        self._seq: dict[str, int] = {}
        self._events: list[tuple[Any, ...]] = []
        self._identities: list[tuple[Any, ...]] = []
        self._zstd = zstandard.ZstdCompressor(level=1, write_checksum=True, write_content_size=True)

    def begin_agent(self, agent_id: str, created_ms: int) -> None:
        folder = self.root / "agents" / agent_id / "agent"
        folder.mkdir(parents=True, exist_ok=True)
        conn = self._conn = connect_writable(folder / "openclaw-agent.sqlite")
        # Speed while generating; the finished file gets OpenClaw's WAL mode in end_agent.
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-16384")  # 16 MiB, bounded: keeps index inserts off the disk
        conn.executescript(agent_schema())
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO schema_meta VALUES ('primary','agent',?,?,?,?,?)",
            (SCHEMA_VERSION, agent_id, APP_VERSION, created_ms, created_ms),
        )
        conn.execute("INSERT INTO session_key_contract VALUES (1,'main',NULL,0)")

    def begin(self, session_id: str, agent_id: str, file_name: str) -> None:
        del agent_id, file_name
        self._seq[session_id] = 0

    def event(self, session_id: str, record: dict[str, Any], ts_ms: int) -> None:
        seq = self._seq[session_id]
        self._seq[session_id] = seq + 1
        data = orjson.dumps(record)
        packed = self._pack(record, data)
        if packed is None:
            self._events.append((session_id, seq, data.decode(), ts_ms, None, None, None))
        else:
            self._events.append((session_id, seq, None, ts_ms, packed[0], len(data), packed[1]))
            self.totals.zstdRows += 1
        msg = record.get("message")
        key = msg.get("idempotencyKey") if isinstance(msg, dict) else None
        self._identities.append(
            (session_id, record["id"], seq, record["type"], record.get("parentId"), key, ts_ms)
        )
        if len(self._events) >= _FLUSH:
            self._flush()

    def _pack(self, record: dict[str, Any], data: bytes) -> tuple[bytes, str] | None:
        """zstd frame + navigation projection, when OpenClaw would compress this record."""
        size = len(data)
        if size < MIN_COMPRESS_BYTES or record["type"] == "session" or b"\\u" in data:
            return None
        frame = self._zstd.compress(data)
        if size - len(frame) < max(64, size // 10):
            return None
        return frame, navigation(record, data).decode()

    def _flush(self) -> None:
        assert self._conn is not None
        self._conn.executemany(_EVENT_SQL, self._events)
        self._conn.executemany(_IDENTITY_SQL, self._identities)
        self._events.clear()
        self._identities.clear()

    def end(self, window: Window) -> None:
        assert self._conn is not None
        self._seq.pop(window.session_id, None)
        w = window
        self._conn.execute(
            _WINDOW_SQL,
            (
                w.session_id,
                w.key,
                w.previous_session_id,
                w.reason,
                w.scope,
                w.created_ms,
                w.ended_ms + 30,
                w.ended_ms,
                w.ended_ms,
                w.started_ms,
                w.ended_ms,
                w.status,
                w.chat_type,
                w.channel,
                w.model_provider,
                w.model,
                w.parent_key,
                w.parent_key,
                w.display_name,
            ),
        )

    def node(self, node: Node) -> None:
        assert self._conn is not None
        n = node
        actor = ("agent", n.agent_id) if n.created_via == "spawn" else (None, None)
        self._conn.execute(
            _NODE_SQL,
            (
                n.key,
                n.session_id,
                orjson.dumps(n.entry).decode(),
                n.updated_ms,
                n.status,
                n.created_ms,
                n.created_via,
                actor[0],
                actor[1],
                n.parent_key,
                n.parent_key,
                n.label,
                n.display_name,
                n.last_interaction_ms,
                n.last_interaction_ms,
            ),
        )

    def end_agent(self, agent_id: str) -> None:
        del agent_id
        conn = self._conn
        assert conn is not None
        self._flush()
        # OpenClaw validates every entry after writing it (the insert trigger resets entry_valid).
        conn.execute("UPDATE session_nodes SET entry_valid = 1")
        conn.execute("DELETE FROM session_canonical_validation_pending")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
        self._conn = None

    def cron_run(self, job_id: str, line: dict[str, Any]) -> None:
        del job_id, line

    def cron_jobs(self, jobs: list[dict[str, Any]]) -> None:
        del jobs

    def subagent_run(self, run: dict[str, Any]) -> None:
        del run

    def finish(self) -> None:
        pass


def navigation(record: dict[str, Any], data: bytes) -> bytes:
    """The small projection OpenClaw stores next to a compressed record (`navigation_json`).

    Shape as observed for a compressed toolResult (RUN-9.6 seq 17); `modelBytes` is the record without
    `message.details` (what the model sees), `withoutCustomDataBytes` the record without custom `data`.
    """
    base = {
        "type": record["type"],
        "id": record["id"],
        "parentId": record.get("parentId"),
        "timestamp": record["timestamp"],
    }
    entry = {
        "id": base["id"],
        "parentId": base["parentId"],
        "timestamp": base["timestamp"],
        "type": base["type"],
    }
    nav, reset, model = dict(base), dict(base), dict(base)
    model_bytes = without_data = len(data)
    msg = record.get("message")
    if isinstance(msg, dict):
        role = msg.get("role")
        nav["message"] = {"role": role, **({"__openclaw": msg["__openclaw"]} if "__openclaw" in msg else {})}
        reset["message"] = {"role": role}
        model["message"] = _model_projection(msg)
        if "details" in msg:
            slim = {k: v for k, v in msg.items() if k != "details"}
            model_bytes = len(orjson.dumps({**record, "message": slim}))
    elif "data" in record:
        without_data = len(orjson.dumps({k: v for k, v in record.items() if k != "data"}))
    return orjson.dumps(
        {
            "version": 1,
            "report": {"kind": "canonical", "hasParentId": base["parentId"] is not None, "entry": entry},
            "navigation": nav,
            "reset": reset,
            "model": model,
            "modelBytes": model_bytes,
            "modelWithoutCheckpointBytes": model_bytes,
            "withoutCustomDataBytes": without_data,
        }
    )


def _model_projection(msg: dict[str, Any]) -> dict[str, Any]:
    role = msg.get("role")
    if role == "toolResult":
        return {
            "role": role,
            "toolCallId": msg.get("toolCallId"),
            "toolName": msg.get("toolName"),
            "isError": msg.get("isError"),
            "timestamp": msg.get("timestamp"),
            "content": [],
            "command": "",
            "output": "",
            "providerReplay": {"type": None},
            "details": {"openclawSyntheticMissingToolResult": False},
        }
    out: dict[str, Any] = {"role": role, "timestamp": msg.get("timestamp"), "content": []}
    for k in ("api", "provider", "model", "stopReason"):
        if k in msg:
            out[k] = msg[k]
    return out
