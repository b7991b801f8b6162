"""Copy a recorded state dir into the fixtures: what the detectors read, nothing secret, nothing huge.

Kept: `openclaw.json`; per agent the transcripts (`sessions/sessions.json` and `<id>.jsonl`, JSONL era)
(session entries without their `skillsSnapshot`, the skills' prompt text; the tools and skills of
`systemPromptReport` listed by name and size only)
or the agent store (`agent/openclaw-agent.sqlite`, SQLite era); the shared `state/openclaw.sqlite`
(sub-agent and cron registries); the top-level Markdown files of every workspace (IDENTITY.md, SOUL.md,
… : what persona detection reads). Left out: device identities and keys, auth profiles, logs, caches,
trajectory sidecars (another schema that repeats every usage), temporary files. SQLite files are copied
with the backup API (consistent even mid-write), then the rows nothing reads (OpenClaw's derived
indexes of the transcript rows: event identities, active events, full text; memory indexes, trajectory
sidecar rows, stored credentials, gateway audit and bookkeeping rows) are deleted, every table kept,
and the file is compacted
(VACUUM INTO; OpenClaw's CHECK constraints use `octet_length()`, supplied here for older SQLite).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

# tables whose rows are derived from the transcript rows (indexes OpenClaw rebuilds), credentials, or
# gateway bookkeeping unrelated to what happened in a session; their schema stays
DROP_ROWS_PREFIXES = (
    "session_transcript_fts",
    "session_transcript_active",
    "transcript_event_identities",
    "memory_index",
    "trajectory_runtime_events",
    "auth_profile_store",
    "audit_events",
    "config_machine_state",
    "session_state_events",
    "session_watch_cursors",
    "worker_session_placements",
)
# SessionEntry keys that are big and say nothing about what happened (the skills' prompt text)
DROP_ENTRY_KEYS = ("skillsSnapshot",)
KEPT_LISTING_KEYS = ("name", "schemaChars", "blockChars")  # of each tool and skill the prompt offered
PAGE_SIZE = 1024  # OpenClaw's stores have ~190 tables and indexes: one page each at least


def copy_sqlite(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp.sqlite")
    tmp.unlink(missing_ok=True)
    dst.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(tmp)
    # OpenClaw's CHECK constraints call octet_length(), which SQLite < 3.43 (Python's here) lacks
    target.create_function("octet_length", 1, _octet_length, deterministic=True)
    try:
        source.backup(target)
    finally:
        source.close()
    try:
        tables = [r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table.startswith(DROP_ROWS_PREFIXES) and not table.endswith(
                ("_config", "_data", "_idx", "_docsize")
            ):
                try:
                    target.execute(f'DELETE FROM "{table}"')
                except sqlite3.Error:  # a virtual table this SQLite cannot open: leave it as it is
                    continue
        fts = [r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE sql LIKE '%USING fts5%'")]
        for table in fts:  # an emptied FTS5 index keeps its segments until merged
            try:
                target.execute(f'INSERT INTO "{table}"("{table}") VALUES (\'optimize\')')
            except sqlite3.Error:
                continue
        if "session_nodes" in tables:
            rows = target.execute("SELECT session_key, entry_json FROM session_nodes").fetchall()
            for key, entry in rows:
                if entry:
                    target.execute(
                        "UPDATE session_nodes SET entry_json = ? WHERE session_key = ?", (slim(entry), key)
                    )
        target.commit()
        target.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        target.execute("VACUUM INTO ?", (str(dst),))
    finally:
        target.close()
        tmp.unlink(missing_ok=True)


def slim(entry_json: str) -> str:
    """A SessionEntry without the keys in DROP_ENTRY_KEYS, and its system-prompt report's tool and skill
    lists reduced to each one's name and size (no hashes, JSON text in, JSON text out)."""
    entry = json.loads(entry_json)
    if not isinstance(entry, dict):
        return entry_json
    entry = {k: v for k, v in entry.items() if k not in DROP_ENTRY_KEYS}
    report = entry.get("systemPromptReport") or {}
    for part in ("tools", "skills"):
        listing = report.get(part)
        if isinstance(listing, dict) and isinstance(listing.get("entries"), list):
            listing["entries"] = [
                {k: v for k, v in t.items() if k in KEPT_LISTING_KEYS} if isinstance(t, dict) else t
                for t in listing["entries"]
            ]
    return json.dumps(entry, ensure_ascii=False)


def _octet_length(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return len(value)
    return len(str(value).encode())


def trim_state(src: Path, dst: Path) -> None:
    """Write the trimmed copy of state dir `src` to `dst` (replaced if it exists)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    shutil.copy2(src / "openclaw.json", dst / "openclaw.json")
    shared = src / "state" / "openclaw.sqlite"
    if shared.exists():
        copy_sqlite(shared, dst / "state" / "openclaw.sqlite")
    for agent in sorted((src / "agents").iterdir()):
        out = dst / "agents" / agent.name
        store = agent / "agent" / "openclaw-agent.sqlite"
        if store.exists():
            copy_sqlite(store, out / "agent" / "openclaw-agent.sqlite")
        sessions = agent / "sessions"
        if (sessions / "sessions.json").exists():
            (out / "sessions").mkdir(parents=True, exist_ok=True)
            store_json = json.loads((sessions / "sessions.json").read_text())
            slimmed = {k: json.loads(slim(json.dumps(v))) for k, v in store_json.items()}
            (out / "sessions" / "sessions.json").write_text(json.dumps(slimmed, indent=2, ensure_ascii=False))
            for path in sorted(sessions.glob("*.jsonl")):
                if not path.name.endswith(".trajectory.jsonl"):
                    shutil.copy2(path, out / "sessions" / path.name)
    for workspace in sorted(src.glob("workspace*")):
        for md in sorted(workspace.glob("*.md")):
            (dst / workspace.name).mkdir(exist_ok=True)
            shutil.copy2(md, dst / workspace.name / md.name)


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
