"""The parent's turn that announces a finished sub-agent is a `subagent` turn on every OpenClaw release:
2026.9 marks it in each message's run id (`announce:v1:…`); 2026.7 writes the run id after the run's
messages, in an `openclaw:bootstrap-context:*` record (format doc §10)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.model import Trigger
from clawscope.money import usd
from clawscope.store import Store
from tests.sources.test_transcript import assistant, decode, line, user
from tests.support.env import FIXTURES

ANNOUNCE = "announce:v1:agent:main:subagent:5a9c1a9e:82a1a754"
CORPUS = FIXTURES / "detect"
SCENARIO = "coordination/child-said-failure"  # a parent spawns a child, then announces its result


def marker(eid: str, run_id: str) -> bytes:
    return line(
        {
            "type": "custom",
            "customType": "openclaw:bootstrap-context:full",
            "data": {"timestamp": 1, "runId": run_id, "sessionId": "s1"},
            "id": eid,
            "timestamp": "2026-12-06T20:59:51.235Z",
        }
    )


def test_a_run_marked_announce_after_its_messages_is_a_subagent_turn() -> None:
    batch = decode(
        user("u1", "Run the database migration."),
        assistant("a1"),
        marker("m1", "chatcmpl_0184dce1"),  # the user's run: left as it was
        assistant("a2"),
        assistant("a3"),
        marker("m2", ANNOUNCE),  # the announce run: a2 and a3
        user("u2", "thanks"),
        assistant("a4"),
    )
    triggers = {c.entry_id: c.turn_trigger for c in batch.llm_calls}
    assert triggers == {"a1": None, "a2": Trigger.SUBAGENT, "a3": Trigger.SUBAGENT, "a4": None}
    entries = {e.entry_id: e.turn_trigger for e in batch.entries}
    assert entries["a2"] == entries["a3"] == Trigger.SUBAGENT
    assert entries["u1"] is entries["a1"] is entries["m2"] is entries["a4"] is None


def test_the_sqlite_era_marks_the_announce_on_the_message_itself() -> None:
    batch = decode(assistant("a1", __openclaw={"runId": ANNOUNCE}))
    assert batch.llm_calls[0].turn_trigger == Trigger.SUBAGENT


def _by_trigger(release: str) -> dict[str, tuple[int, float]]:
    labels: dict[str, Any] = json.loads((CORPUS / release / "labels.json").read_text())["sessions"]
    (root,) = [k for k, v in labels.items() if v["session"] == SCENARIO and v["role"] == "root"]
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{Path(tmp) / 'c.db'}") as store:
        ingest(store, [CORPUS / release / "state"], instance="t")
        with store.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT r.trigger, sum(r.llm_calls), sum(r.cost) FROM rollup_calls r "
                    "JOIN sessions s ON s.sid = r.sid WHERE s.session_id = :id GROUP BY r.trigger"
                ),
                {"id": root},
            ).all()
    return {str(t): (int(n), usd(c)) for t, n, c in rows}  # (stored in nano-dollars)


def test_the_announce_turn_has_the_same_trigger_on_both_eras() -> None:
    jsonl, sqlite = _by_trigger("openclaw-2026.7.35"), _by_trigger("openclaw-2026.9.6")
    assert set(jsonl) == set(sqlite) == {"api", "subagent"}
    assert (
        {t: n for t, (n, _) in jsonl.items()}
        == {t: n for t, (n, _) in sqlite.items()}
        == {
            "api": 2,
            "subagent": 1,
        }
    )
    # the announce reply's own reported cost is what the subagent trigger holds (2026.7.35: 67741c08)
    assert jsonl["subagent"][1] == pytest.approx(0.0189072)
