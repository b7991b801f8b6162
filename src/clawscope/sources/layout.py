"""Where OpenClaw keeps its state, and what each file in a sessions folder is.

A state dir (`~/.openclaw`, legacy `~/.clawdbot`, `~/.moltbot`, `~/.moldbot`, or `OPENCLAW_STATE_DIR`)
holds one folder per agent under `agents/`. An agent's transcripts are JSONL files in
`agents/<id>/sessions/` (JSONL era, ≤ 2026.7.x) and/or rows of `agents/<id>/agent/openclaw-agent.sqlite`
(SQLite era, ≥ 2026.8.1). A sessions folder also holds archives, checkpoints, backups, sidecars and
locks (format doc §9); `classify` names them so that each entry is read once and counted once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path

import msgspec

LEGACY_DIR_NAMES = (".openclaw", ".clawdbot", ".moltbot", ".moldbot")
CONFIG_NAMES = ("openclaw.json", "clawdbot.json", "moltbot.json", "moldbot.json")


class Variant(StrEnum):
    """What a file in a sessions folder is. The order of `READ_ORDER` is the order of reading."""

    ACTIVE = "active"  # <sid>.jsonl
    TOPIC = "topic"  # <sid>-topic-<thread>.jsonl: the transcript of a Telegram forum topic's session <sid>
    RESET = "reset"  # <sid>.jsonl.reset.<ts>: archived by a reset; real spend found nowhere else
    DELETED = "deleted"  # <sid>.jsonl.deleted.<ts>[.zst]: transcript of a deleted session
    CHECKPOINT = "checkpoint"  # <sid>.checkpoint.<uuid>.jsonl: a copy (same entry ids)
    BACKUP = "backup"  # <sid>.jsonl.bak-…: a copy
    TRAJECTORY = "trajectory"  # <sid>.trajectory.jsonl / -path.json: another schema, repeats usage
    LOCK = "lock"  # <sid>.jsonl.lock: a run in progress, no data
    STORE = "store"  # sessions.json
    OTHER = "other"


TRANSCRIPT_VARIANTS = (
    Variant.ACTIVE,
    Variant.TOPIC,
    Variant.RESET,
    Variant.DELETED,
    Variant.CHECKPOINT,
    Variant.BACKUP,
)
READ_ORDER = {v: i for i, v in enumerate(TRANSCRIPT_VARIANTS)}
IMMUTABLE_VARIANTS = frozenset({Variant.RESET, Variant.DELETED, Variant.CHECKPOINT, Variant.BACKUP})

_ARCHIVE = re.compile(r"^(?P<sid>.+?)\.jsonl\.(?P<what>reset|deleted)\.(?P<ts>.+?)(?P<zst>\.zst)?$")
_BACKUP = re.compile(r"^(?P<sid>.+?)\.jsonl\.(bak|backup)(?P<rest>.*)$")
_CHECKPOINT = re.compile(r"^(?P<sid>.+?)\.checkpoint\.[^.]+\.jsonl(?P<zst>\.zst)?$")


class TranscriptFile(msgspec.Struct, frozen=True):
    """A transcript file and the session it belongs to (by its name; the header may refine it)."""

    path: str
    session_id: str
    variant: Variant
    compressed: bool = False


def classify(name: str) -> tuple[Variant, str | None, bool]:
    """Name a file of a sessions folder: (variant, session id from the name, zstd-compressed)."""
    if name.endswith(".jsonl") and name.count(".") == 1:  # the usual `<sid>.jsonl`, without regexes
        stem = name[:-6]
        if "-topic-" not in stem:
            return Variant.ACTIVE, stem, False
    if name == "sessions.json":
        return Variant.STORE, None, False
    if name.endswith(".jsonl.lock") or name.endswith(".lock"):
        return Variant.LOCK, None, False
    if name.endswith(".trajectory.jsonl") or name.endswith(".trajectory-path.json"):
        return Variant.TRAJECTORY, name.split(".trajectory", 1)[0], False
    m = _ARCHIVE.match(name)
    if m:
        variant = Variant.RESET if m.group("what") == "reset" else Variant.DELETED
        return variant, m.group("sid"), bool(m.group("zst"))
    m = _CHECKPOINT.match(name)
    if m:
        return Variant.CHECKPOINT, m.group("sid"), bool(m.group("zst"))
    m = _BACKUP.match(name)
    if m:
        return Variant.BACKUP, m.group("sid"), m.group("rest").endswith(".zst")
    if name.endswith(".jsonl"):
        stem = name[: -len(".jsonl")]
        if "-topic-" in stem:  # sessions.json names the topic's session <sid> and this file as its transcript
            return Variant.TOPIC, stem.split("-topic-", 1)[0], False
        return Variant.ACTIVE, stem, False
    return Variant.OTHER, None, False


def transcript_files(sessions_dir: Path | str) -> list[TranscriptFile]:
    """The transcript files of one sessions folder, grouped by session and in reading order."""
    base = str(sessions_dir)
    try:
        names = os.listdir(base)
    except OSError:
        return []
    return transcripts_named(base, names)


def transcripts_named(base: str, names: Iterable[str]) -> list[TranscriptFile]:
    """Those of these names in folder `base` that are transcript files, grouped by session and in
    reading order."""
    found: list[TranscriptFile] = []
    for name in names:
        variant, sid, compressed = classify(name)
        if sid and variant in READ_ORDER:
            found.append(TranscriptFile(os.path.join(base, name), sid, variant, compressed))
    found.sort(key=lambda f: (f.session_id, READ_ORDER[f.variant], f.path))
    return found


class AgentDir(msgspec.Struct, frozen=True):
    """One agent of a state dir and where its data lives (either era, or both after a doctor import)."""

    agent_id: str
    path: str
    sessions_dir: str | None
    sqlite_path: str | None


def discover_state_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """The OpenClaw state dirs of this machine: `OPENCLAW_STATE_DIR` if set, else every default one
    (`~/.openclaw`, and the legacy `~/.clawdbot`, `~/.moltbot`, `~/.moldbot`) that exists."""
    explicit = env.get("OPENCLAW_STATE_DIR")
    if explicit:
        return [Path(explicit).expanduser()]
    base = Path(env["OPENCLAW_HOME"]).expanduser() if env.get("OPENCLAW_HOME") else home
    return [base / name for name in LEGACY_DIR_NAMES if looks_like_state_dir(base / name)]


def looks_like_state_dir(path: Path) -> bool:
    return path.is_dir() and ((path / "agents").is_dir() or any((path / n).is_file() for n in CONFIG_NAMES))


def agent_dirs(state_dir: Path) -> list[AgentDir]:
    """Every agent folder of a state dir, sorted by id."""
    root = state_dir / "agents"
    try:
        names = sorted(n for n in os.listdir(root) if (root / n).is_dir())
    except OSError:
        return []
    agents = []
    for name in names:
        sessions = root / name / "sessions"
        sqlite = root / name / "agent" / "openclaw-agent.sqlite"
        agents.append(
            AgentDir(
                agent_id=name,
                path=str(root / name),
                sessions_dir=str(sessions) if sessions.is_dir() else None,
                # present in any form (a FIFO, a dangling link: ingest reports what it is)
                sqlite_path=str(sqlite) if os.path.lexists(sqlite) else None,
            )
        )
    return agents
