"""Naming the files of a sessions folder (§9) and finding state dirs and agents."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawscope.sources.layout import Variant, agent_dirs, classify, discover_state_dirs, transcript_files

S = "e43552a8-59d9-4c60-9b45-90f1834cdfc8"


@pytest.mark.parametrize(
    ("name", "variant", "sid", "zst"),
    [
        (f"{S}.jsonl", Variant.ACTIVE, S, False),
        (f"{S}-topic-42.jsonl", Variant.TOPIC, S, False),
        (f"{S}.jsonl.reset.2026-11-21T05-28-18.123Z", Variant.RESET, S, False),
        (f"{S}.jsonl.deleted.1795238898000", Variant.DELETED, S, False),
        (f"{S}.jsonl.deleted.2026-11-21T05-28-18.123Z.zst", Variant.DELETED, S, True),
        (f"{S}.checkpoint.0b7f3a2e-1111-2222-3333-444444444444.jsonl", Variant.CHECKPOINT, S, False),
        (f"{S}.jsonl.bak-20261121", Variant.BACKUP, S, False),
        (f"{S}.trajectory.jsonl", Variant.TRAJECTORY, S, False),
        (f"{S}.trajectory-path.json", Variant.TRAJECTORY, S, False),
        (f"{S}.jsonl.lock", Variant.LOCK, None, False),
        ("sessions.json", Variant.STORE, None, False),
        ("notes.txt", Variant.OTHER, None, False),
    ],
)
def test_classify(name: str, variant: Variant, sid: str | None, zst: bool) -> None:
    assert classify(name) == (variant, sid, zst)


def test_transcripts_are_grouped_by_session_active_first(tmp_path: Path) -> None:
    for name in (
        f"{S}.jsonl.bak-1",
        f"{S}.checkpoint.x.jsonl",
        f"{S}.jsonl",
        f"{S}.jsonl.reset.t",
        f"{S}.trajectory.jsonl",
        "sessions.json",
        f"{S}.jsonl.lock",
        "b.jsonl",
    ):
        (tmp_path / name).write_text("")
    found = [(f.session_id, f.variant) for f in transcript_files(tmp_path)]
    assert found == [
        ("b", Variant.ACTIVE),
        (S, Variant.ACTIVE),
        (S, Variant.RESET),
        (S, Variant.CHECKPOINT),
        (S, Variant.BACKUP),
    ]


def test_discovery_prefers_openclaw_state_dir(tmp_path: Path) -> None:
    for name in (".openclaw", ".clawdbot", ".moltbot"):
        (tmp_path / name / "agents").mkdir(parents=True)
    (tmp_path / ".moldbot").mkdir()  # not a state dir: no agents/, no config
    assert discover_state_dirs({}, tmp_path) == [
        tmp_path / ".openclaw",
        tmp_path / ".clawdbot",
        tmp_path / ".moltbot",
    ]
    assert discover_state_dirs({"OPENCLAW_STATE_DIR": "/srv/oc"}, tmp_path) == [Path("/srv/oc")]
    other = tmp_path / "otherhome"
    (other / ".openclaw").mkdir(parents=True)
    (other / ".openclaw" / "openclaw.json").write_text("{}")
    assert discover_state_dirs({"OPENCLAW_HOME": str(other)}, tmp_path) == [other / ".openclaw"]


def test_agent_dirs_of_both_eras(tmp_path: Path) -> None:
    (tmp_path / "agents" / "main" / "sessions").mkdir(parents=True)
    (tmp_path / "agents" / "ops" / "agent").mkdir(parents=True)
    (tmp_path / "agents" / "ops" / "agent" / "openclaw-agent.sqlite").write_bytes(b"")
    agents = agent_dirs(tmp_path)
    assert [(a.agent_id, a.sessions_dir is not None, a.sqlite_path is not None) for a in agents] == [
        ("main", True, False),
        ("ops", False, True),
    ]
