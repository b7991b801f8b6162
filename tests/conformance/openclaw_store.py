"""A minimal, independent look into OpenClaw's own storage: how many transcript entries each session has.

Used as a second oracle next to the fake-LLM log: clawscope's per-session `entries` must equal what
OpenClaw stored, which catches a reader that skips rows (e.g. SQLite-era rows kept only as
`event_zstd`). Deliberately naive: it counts, it does not parse.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conformance.releases import Era


def transcript_entry_counts(state_dir: Path, era: Era) -> dict[str, int]:
    """{session id: number of transcript entries} over every agent of a state dir."""
    counts: dict[str, int] = {}
    for agent_dir in sorted((state_dir / "agents").iterdir()):
        if era is Era.SQLITE:
            counts.update(_sqlite_counts(agent_dir / "agent" / "openclaw-agent.sqlite"))
        else:
            counts.update(_jsonl_counts(agent_dir / "sessions"))
    return counts


def _sqlite_counts(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT session_id, COUNT(*) FROM transcript_events GROUP BY session_id"
        ).fetchall()
    finally:
        conn.close()
    return {str(sid): int(n) for sid, n in rows}


def _jsonl_counts(sessions: Path) -> dict[str, int]:
    if not sessions.is_dir():
        return {}
    out = {}
    for path in sorted(sessions.glob("*.jsonl")):
        if path.name.endswith(".trajectory.jsonl"):  # a sidecar with another schema, not a transcript
            continue
        out[path.name.removesuffix(".jsonl")] = sum(
            1 for line in path.read_text().splitlines() if line.strip()
        )
    return out
