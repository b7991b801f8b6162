"""Hostile and broken input (issue 13, items 5-8): each bad piece is a problem with where and why, the
rest is ingested as from a clean state dir, and no rerun crashes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ingest.test_incremental import build_history
from tests.support.hostile import run_pair

SESSIONS = "agents/main/sessions"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _history(root: Path) -> None:
    build_history(root, sessions=3, turns=2)


def _first_transcript(root: Path) -> Path:
    return sorted((root / SESSIONS).glob("*.jsonl"))[0]


def test_a_deeply_nested_line_is_an_invalid_json_problem_and_the_rest_is_ingested(tmp_path: Path) -> None:
    def mutate(root: Path) -> None:
        with _first_transcript(root).open("ab") as fh:  # the first session read: the others come after
            fh.write(b'{"type":"message","id":"deep","message":' + nested(1200) + b"}\n")

    out = run_pair(tmp_path, _history, mutate)
    assert out.differences("cursors") == []
    assert ("invalid_json", f"{SESSIONS}/00000000-0000-0000-0000-000000000000.jsonl") in out.codes()
    (p,) = [p for p in out.problems if p["code"] == "invalid_json"]
    assert "nested" in p["reason"] and p["location"].startswith("line")


def test_a_deeply_nested_sessions_json_is_an_invalid_json_problem(tmp_path: Path) -> None:
    def mutate(root: Path) -> None:
        (root / SESSIONS / "sessions.json").write_bytes(b'{"x":' + nested(5000) + b"}")

    out = run_pair(tmp_path, _history, mutate)
    assert ("invalid_json", f"{SESSIONS}/sessions.json") in out.codes()
    # the transcripts are all there; only what sessions.json said (keys) is missing
    assert out.clean["raw_entries"] == out.hostile["raw_entries"]
    assert out.clean["llm_calls"] == out.hostile["llm_calls"]


def test_deeply_nested_cron_and_subagent_registries_are_problems(tmp_path: Path) -> None:
    def mutate(root: Path) -> None:
        (root / "cron" / "runs").mkdir(parents=True)
        (root / "cron" / "runs" / "job.jsonl").write_bytes(b'{"a":' + nested(3000) + b"}\n")
        (root / "subagents").mkdir()
        (root / "subagents" / "runs.json").write_text(
            json.dumps({"version": 2})[:-1] + ', "x": ' + "[" * 3000 + "]" * 3000 + "}"
        )

    out = run_pair(tmp_path, _history, mutate)
    assert {c for c, _ in out.codes()} == {"invalid_json"}
    assert out.differences("cursors") == []
