"""Backfill: the tool calls of the REAL OpenClaw samples (both eras) become verifiable receipts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from clawscope.audit.backfill import (
    BackfillItem,
    backfill,
    items_from_state_dir,
    items_from_transcript,
    to_adapter_event,
)
from clawscope.audit.canonical import jcs, loads
from clawscope.audit.events import ORIGIN_EXTENSION, AdapterConfig
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.receipts import Issuer
from clawscope.audit.recorder import Recorder
from clawscope.audit.spool import SPOOL_FILE
from clawscope.audit.verify import Options, verify_paths
from clawscope.model import ToolCall, ToolResult, ToolStatus

FIXTURES = Path(__file__).parents[1] / "fixtures"
JSONL_ERA = FIXTURES / "openclaw-2026.3.24-jsonl"
SQLITE_EXPORTS = FIXTURES / "openclaw-2026.9.6-sqlite" / "exports"
ISSUER = "https://agent.example.com"
NOW_MS = (
    1_795_300_000_000  # after the samples were recorded (2026-11-21): receipts are never dated in the future
)
NOW_S = NOW_MS // 1000


def real_items() -> list[BackfillItem]:
    items = list(items_from_state_dir(JSONL_ERA))
    for path in sorted(SQLITE_EXPORTS.glob("*.jsonl")):
        items.extend(items_from_transcript(path, agent_id="main"))
    return items


def recorder(root: Path, key: SigningKey, now_ms: int = NOW_MS) -> Recorder:
    config = AdapterConfig(issuer=ISSUER, exact_payload_size=True)
    return Recorder(
        root,
        Issuer(key, ISSUER),
        config,
        clock_ms=lambda: now_ms,
        per_workflow=True,
        background=False,
        durable=False,
    )


def test_the_real_samples_contain_these_tool_calls() -> None:
    calls = [(i.call.name, i.call.wrapper, i.session_key, i.result is not None) for i in real_items()]
    assert calls == [
        ("exec", None, "agent:main:main", True),
        ("sessions_spawn", None, "agent:main:main", True),
        ("exec", None, "agent:main:cron:23da2779-5195-44f8-a7d1-16ee0a89f993", True),
        ("exec", None, None, True),
        ("sessions_spawn", "tool_call", None, True),  # 2026.9.x Tool Search: unwrapped to the real tool
    ]


def test_backfill_makes_the_history_verifiable(tmp_path: Path, key: SigningKey) -> None:
    rec = recorder(tmp_path, key)
    report = backfill(real_items(), rec)
    rec.close()
    assert (report.captured, report.already, report.skipped, report.failed, report.emitted) == (
        5,
        0,
        [],
        [],
        5,
    )
    verdicts = verify_paths([tmp_path], Options(KeySet([key.public]), NOW_S))
    assert [v for v in verdicts if not v.ok] == []
    kinds = [v.kind for v in verdicts]
    assert kinds.count("spool") == 3
    assert kinds.count("receipt") == 10
    assert kinds.count("peac-json") == 5


def test_backfill_is_idempotent(tmp_path: Path, key: SigningKey) -> None:
    first = recorder(tmp_path, key)
    backfill(real_items(), first)
    first.close()
    again = recorder(tmp_path, key)
    report = backfill(real_items(), again)
    again.close()
    assert (report.captured, report.already) == (0, 5)


def test_digests_commit_to_the_recorded_arguments_and_result(tmp_path: Path, key: SigningKey) -> None:
    item = real_items()[0]
    rec = recorder(tmp_path, key)
    backfill([item], rec)
    rec.close()
    spool = next(tmp_path.rglob(SPOOL_FILE))
    entry = loads(spool.read_bytes().splitlines()[0])
    assert item.call.arguments is not None
    assert entry["input_digest"]["value"] == hashlib.sha256(jcs(loads(item.call.arguments))).hexdigest()
    record = loads(item.result_record or b"")["message"]
    output = {"content": record["content"], "details": record["details"]}
    assert entry["output_digest"]["value"] == hashlib.sha256(jcs(output)).hexdigest()
    origin = entry["action"]["metadata"][ORIGIN_EXTENSION]
    assert origin["source"] == "transcript"
    assert origin["session_id"] == item.call.session_id
    assert origin["call_entry_id"] == item.call.entry_id
    assert origin["agent_id"] == "main"
    assert entry["action"]["started_at"].endswith("Z")
    assert entry["action"]["status"] == "ok"


def call(ts: int | None = 1_000, args: bytes | None = b'{"command":"ls"}') -> ToolCall:
    return ToolCall("s1", "c1", "e1", ts, "exec", args)


def result(status: ToolStatus = ToolStatus.OK, ts: int | None = 2_000) -> ToolResult:
    return ToolResult("s1", "c1", "e2", ts, "exec", status, False, "completed", 0, 5, None, 2)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (BackfillItem(call(), None), "no tool result recorded"),
        (BackfillItem(call(), result(ToolStatus.PENDING)), "no tool result recorded"),
        (BackfillItem(call(ts=None), result()), "the tool call has no timestamp"),
        (BackfillItem(call(args=b"{nope"), result()), "the recorded arguments are not JSON"),
    ],
)
def test_calls_that_cannot_be_receipted_are_skipped_with_a_reason(item: BackfillItem, reason: str) -> None:
    assert to_adapter_event(item) == reason


def test_error_results_and_clock_skew() -> None:
    mapped = to_adapter_event(
        BackfillItem(call(ts=5_000), result(ToolStatus.ERROR, ts=4_000), "agent:main:main")
    )
    assert not isinstance(mapped, str)
    event, extra = mapped
    assert event["status"] == "error"
    assert "completed_at" not in event
    origin: dict[str, Any] = extra[ORIGIN_EXTENSION]
    assert origin["details_status"] == "completed"
    assert origin["exit_code"] == 0
    assert "output" not in event  # no raw result record: no output digest, never a guessed one


def test_receipts_of_calls_from_the_future_do_not_verify(tmp_path: Path, key: SigningKey) -> None:
    january = 1_768_478_400_000  # a signer whose clock is months behind the calls it records
    rec = recorder(tmp_path, key, now_ms=january)
    backfill(real_items()[:1], rec)
    rec.close()
    verdicts = verify_paths([tmp_path / "wire02"], Options(KeySet([key.public]), january // 1000))
    assert [v.code for v in verdicts] == ["E_OCCURRED_AT_IN_FUTURE"]


def test_skips_are_reported_by_backfill(tmp_path: Path, key: SigningKey) -> None:
    rec = recorder(tmp_path, key)
    report = backfill([BackfillItem(call(), None)], rec)
    rec.close()
    assert report.skipped == [("c1", "no tool result recorded")]
    assert report.captured == 0
    rec = recorder(tmp_path / "b", key)
    report = backfill([BackfillItem(call(), result())], rec)  # no raw result record: no output digest
    rec.close()
    assert report.captured == 1
    assert [(w[0], w[1]) for w in report.warnings] == [("c1", "W_OPENCLAW_OPTIONAL_FIELD_MISSING")]
