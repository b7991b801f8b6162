"""Capture (recorder) and background emission (emitter): ordering, overflow, restart, concurrency."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clawscope.audit.events import AdapterConfig
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.layout import workflow_of
from clawscope.audit.receipts import Issuer
from clawscope.audit.recorder import Recorder
from clawscope.audit.verify import Options, verify_paths
from tests.support.vectors import NOW_MS, NOW_S, VECTORS


def event(i: int, session: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {
        "tool_call_id": f"call_{i}",
        "run_id": "run_1",
        "tool_name": "exec",
        "status": "ok",
        "started_at": "2026-01-15T11:00:00.000Z",
        "completed_at": "2026-01-15T11:00:01.000Z",
        "input": {"command": f"echo {i}"},
        "output": {"stdout": str(i), "exit_code": 0},
    }
    if session:
        e["session_key"] = session
    return e


def all_ok(root: Path, keys: KeySet) -> list[Any]:
    verdicts = verify_paths([root], Options(keys, NOW_S))
    assert [v for v in verdicts if not v.ok] == []
    return verdicts


def test_capture_then_flush_reproduces_every_vector_file(
    recorder_factory: Callable[..., Recorder], events: list[Any]
) -> None:
    recorder = recorder_factory()
    results = recorder.capture_all(events)
    assert [r.sequence for r in results] == [1, 2, 3]
    assert not list(recorder.layout.jws01.glob("*.jws"))  # capture never signs
    stats = recorder.close()
    assert (stats.emitted, stats.failed) == (3, 0)
    for name in ("spool/spool.jsonl", "spool/dedupe.idx"):
        assert (recorder.layout.root / name).read_bytes() == (VECTORS / name).read_bytes()


def test_background_emission(recorder_factory: Callable[..., Recorder], keys: KeySet) -> None:
    recorder = recorder_factory(background=True)
    results = [recorder.capture(event(i)) for i in range(40)]
    assert all(r.ok for r in results)
    stats = recorder.flush()
    assert stats.emitted == 40
    assert stats.failed == 0
    recorder.close()
    assert len(list(recorder.layout.jws02.glob("*.jws"))) == 40
    assert (recorder.layout.log / "leaves.jsonl").read_text().count("\n") == 80  # both wires are logged
    all_ok(recorder.layout.root, keys)


def test_durable_mode_writes_the_same_files(recorder_factory: Callable[..., Recorder], keys: KeySet) -> None:
    recorder = recorder_factory(background=True, durable=True)
    assert all(recorder.capture(event(i)).ok for i in range(3))
    assert recorder.close().emitted == 3
    assert not list(recorder.layout.root.rglob("*.tmp"))
    all_ok(recorder.layout.root, keys)


def test_queue_overflow_loses_nothing(recorder_factory: Callable[..., Recorder], keys: KeySet) -> None:
    recorder = recorder_factory(background=True, queue_size=1)
    with recorder.emitter._work:  # hold the worker: at most 100 items in its batch and 1 in the queue
        results = [recorder.capture(event(i)) for i in range(150)]
    assert all(r.ok for r in results)
    stats = recorder.flush()
    assert stats.overflows >= 49
    assert stats.emitted == 150
    recorder.close()
    assert len(list(recorder.layout.jws01.glob("*.jws"))) == 150
    all_ok(recorder.layout.root, keys)


def test_resume_emits_what_a_crashed_process_captured(
    tmp_path: Path, key: SigningKey, config: AdapterConfig
) -> None:
    # A capture-only process died before its emitter ran: spool + dedupe "set" ops, no receipts.
    spool = tmp_path / "audit" / "spool"
    spool.mkdir(parents=True)
    shutil.copy(VECTORS / "spool" / "spool.jsonl", spool / "spool.jsonl")
    (spool / "dedupe.idx").write_bytes(
        b"".join((VECTORS / "spool" / "dedupe.idx").read_bytes().splitlines(True)[:3])
    )
    recorder = Recorder(
        tmp_path / "audit",
        Issuer(key, config.issuer, config.audience),
        config,
        clock_ms=lambda: NOW_MS,
        background=False,
    )
    assert recorder.resume() == 3
    recorder.close()
    for path in (VECTORS / "receipts").glob("*.peac.json"):
        assert (tmp_path / "audit" / "receipts" / path.name).read_bytes() == path.read_bytes()
    assert (spool / "dedupe.idx").read_bytes() == (VECTORS / "spool" / "dedupe.idx").read_bytes()


def test_resume_re_emits_receipt_files_lost_in_a_crash(recorder_factory: Callable[..., Recorder]) -> None:
    first = recorder_factory()
    assert first.capture(event(1)).ok
    first.close()
    lost = next(first.layout.jws02.glob("*.jws"))
    lost.unlink()  # marked emitted in dedupe.idx, but the file never reached the disk
    again = recorder_factory()
    assert again.resume() == 1
    again.close()
    assert lost.exists()


def test_duplicates_are_refused_across_restarts(recorder_factory: Callable[..., Recorder]) -> None:
    first = recorder_factory()
    assert first.capture(event(1)).ok
    first.close()
    again = recorder_factory()
    result = again.capture(event(1))
    assert (result.ok, result.code) == (False, "E_CAPTURE_DUPLICATE")
    assert again.capture(event(2)).sequence == 2  # the chain continues where it stopped
    again.close()


def test_concurrent_captures_keep_one_chain(recorder_factory: Callable[..., Recorder], keys: KeySet) -> None:
    recorder = recorder_factory(background=True)
    results: list[Any] = []

    def worker(base: int) -> None:
        for i in range(25):
            results.append(recorder.capture(event(base + i)))

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder.close()
    assert sorted(r.sequence for r in results) == list(range(1, 101))
    all_ok(recorder.layout.root, keys)


def test_one_spool_per_session(recorder_factory: Callable[..., Recorder], keys: KeySet) -> None:
    recorder = recorder_factory(per_workflow=True)
    for i, session in enumerate(["agent:main:main", "agent:main:subagent:x", "agent:main:main"]):
        assert recorder.capture(event(i, session)).ok
    recorder.close()
    spools = recorder.layout.spool_dirs()
    assert sorted(workflow_of(d) or "" for d in spools) == ["agent:main:main", "agent:main:subagent:x"]
    all_ok(recorder.layout.root, keys)


def test_after_tool_call_hook_capture(recorder_factory: Callable[..., Recorder], keys: KeySet) -> None:
    recorder = recorder_factory(per_workflow=True)
    payload = {
        "toolName": "exec",
        "params": {"command": "ls"},
        "runId": "r1",
        "toolCallId": "c1",
        "result": {"content": [{"type": "text", "text": "a\nb"}]},
        "durationMs": 12,
    }
    ctx = {"agentId": "main", "sessionKey": "agent:main:main", "sessionId": "s1", "toolName": "exec"}
    result = recorder.capture_hook(payload, ctx, completed_ms=NOW_MS)
    assert result.ok
    assert result.workflow == "agent:main:main"
    refused = recorder.capture_hook({"toolName": "exec"}, {}, completed_ms=NOW_MS)
    assert (refused.ok, refused.code) == (False, "E_OPENCLAW_MISSING_FIELD")
    recorder.close()
    all_ok(recorder.layout.root, keys)


def test_a_receipt_that_cannot_be_signed_is_reported_not_lost(tmp_path: Path, key: SigningKey) -> None:
    config = AdapterConfig(issuer="https://agent.example.com\ud800")  # not I-JSON: signing must refuse
    recorder = Recorder(
        tmp_path, Issuer(key, config.issuer), config, clock_ms=lambda: NOW_MS, background=False
    )
    assert recorder.capture(event(1)).ok
    stats = recorder.close()
    assert stats.failed == 1
    assert stats.errors[0][1] == "E_OPENCLAW_SIGNING_FAILED"
    assert "E_IJSON_VIOLATION" in stats.errors[0][2]
    assert (tmp_path / "spool" / "spool.jsonl").read_text().count("\n") == 1  # the capture itself is kept
    assert '"op":"emit"' not in (tmp_path / "spool" / "dedupe.idx").read_text()
