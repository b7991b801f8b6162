"""The real OpenClaw sample states the attack tier starts from: the shared samples when this machine has
them, else the project's verbatim copies in tests/fixtures (same files; SOURCES.md says where from)."""

from __future__ import annotations

from pathlib import Path

from tests.support.env import FIXTURES

SHARED = Path("/work/shared/samples")
JSONL_ERA = "openclaw-2026.3.24-jsonl"
SQLITE_ERA = "openclaw-2026.9.6-sqlite"


def sample(name: str) -> Path:
    shared = SHARED / name
    return shared if (shared / "agents").is_dir() else FIXTURES / name
