"""Copy a recorded state dir into the fixtures: what the detectors read, nothing secret, nothing huge.

Kept: `openclaw.json`; per agent the transcripts (`sessions/sessions.json` and `<id>.jsonl`, JSONL era)
or the agent store (`agent/openclaw-agent.sqlite`, SQLite era); the shared `state/openclaw.sqlite`
(sub-agent and cron registries); the top-level Markdown files of every workspace (IDENTITY.md, SOUL.md,
… : what persona detection reads). Left out: device identities and keys, auth profiles, logs, caches,
trajectory sidecars (another schema that repeats every usage), temporary files. SQLite files are copied
with the backup API (consistent even mid-write), then the rows no detector reads (full-text and memory
indexes, trajectory sidecar rows) are deleted and the file is compacted (VACUUM INTO, which the
bundled SQLite runs even where the schema uses functions it lacks for CHECK constraints).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

# tables whose rows are derived or unrelated to what happened in a session
DROP_ROWS_PREFIXES = (
    "session_transcript_fts",
    "memory_index",
    "trajectory_runtime_events",
    "auth_profile_store",
)


def copy_sqlite(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp.sqlite")
    tmp.unlink(missing_ok=True)
    dst.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(tmp)
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
        target.commit()
        target.execute("VACUUM INTO ?", (str(dst),))
    finally:
        target.close()
        tmp.unlink(missing_ok=True)


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
            shutil.copy2(sessions / "sessions.json", out / "sessions" / "sessions.json")
            for path in sorted(sessions.glob("*.jsonl")):
                if not path.name.endswith(".trajectory.jsonl"):
                    shutil.copy2(path, out / "sessions" / path.name)
    for workspace in sorted(src.glob("workspace*")):
        for md in sorted(workspace.glob("*.md")):
            (dst / workspace.name).mkdir(exist_ok=True)
            shutil.copy2(md, dst / workspace.name / md.name)


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
