"""A small, independent reader of what OpenClaw stored: every session's key, status and transcript entries.

The labeller must not depend on clawscope's own parser (the detectors read through it, and the labels
judge them), so this reads OpenClaw's storage directly and naively: SQLite era
`agents/*/agent/openclaw-agent.sqlite` (`session_windows`, `session_nodes`, `transcript_events` with
`event_json` or zstd `event_zstd`), JSONL era `agents/*/sessions/sessions.json` + `<sessionId>.jsonl`.
It only needs ids, roles, texts and tool calls, and it tolerates whatever else is there.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard


@dataclass
class Recorded:
    session_id: str
    key: str | None
    agent: str
    status: str | None = None
    spawn_depth: int | None = None
    parent_key: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)

    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(entry id, message) of the message entries, in order."""
        return [(e["id"], e["message"]) for e in self.entries if e.get("type") == "message" and "id" in e]


def read_state(state_dir: Path) -> list[Recorded]:
    out: list[Recorded] = []
    for agent_dir in sorted((state_dir / "agents").iterdir()):
        db = agent_dir / "agent" / "openclaw-agent.sqlite"
        if db.exists():
            out.extend(_read_sqlite(db, agent_dir.name))
        sessions = agent_dir / "sessions"
        if (sessions / "sessions.json").exists():
            out.extend(_read_jsonl(sessions, agent_dir.name))
    return out


def _read_sqlite(db: Path, agent: str) -> list[Recorded]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    dctx = zstandard.ZstdDecompressor()
    try:
        rows = conn.execute(
            "SELECT w.session_id, w.session_key, n.entry_json, n.status, n.parent_session_key "
            "FROM session_windows w LEFT JOIN session_nodes n ON n.current_session_id = w.session_id"
        ).fetchall()
        out = []
        for sid, key, entry_json, status, parent in rows:
            entry = json.loads(entry_json) if entry_json else {}
            rec = Recorded(sid, key, agent, status or entry.get("status"), entry.get("spawnDepth"), parent)
            events = conn.execute(
                "SELECT event_json, event_zstd FROM transcript_events WHERE session_id=? ORDER BY seq", (sid,)
            ).fetchall()
            for text, blob in events:
                raw = text if text is not None else dctx.decompress(blob).decode()
                rec.entries.append(json.loads(raw))
            out.append(rec)
        return out
    finally:
        conn.close()


def _read_jsonl(sessions: Path, agent: str) -> list[Recorded]:
    store = json.loads((sessions / "sessions.json").read_text())
    by_id: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, entry in store.items():
        sid = entry.get("sessionId")
        # a cron run has two keys for one session; prefer the longer (per-run) one
        if sid and (sid not in by_id or len(key) > len(by_id[sid][0])):
            by_id[sid] = (key, entry)
    out = []
    for path in sorted(sessions.glob("*.jsonl")):
        if path.name.endswith(".trajectory.jsonl"):
            continue
        sid = path.name.removesuffix(".jsonl")
        key, entry = by_id.get(sid, (None, {}))
        parent = entry.get("spawnedBy") or entry.get("parentSessionKey")
        rec = Recorded(sid, key, agent, entry.get("status"), entry.get("spawnDepth"), parent)
        for line in path.read_text().splitlines():
            if line.strip():
                rec.entries.append(json.loads(line))
        out.append(rec)
    return out


def text_of(content: Any) -> str:
    """The text of a message's content (string or blocks; tool calls and thinking excluded)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def tool_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict) and b.get("type") == "toolCall"]
