"""Event mapping: the adapter's events (byte-compatible with upstream), OpenClaw's real hook, timestamps."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest

from clawscope.audit.canonical import loads
from clawscope.audit.errors import AuditError
from clawscope.audit.events import (
    ORIGIN_EXTENSION,
    AdapterConfig,
    hook_to_adapter_event,
    instant,
    interaction_id,
    iso_ms,
    js_truthy,
    map_adapter_event,
)
from tests.support.vectors import VECTORS, expected_json


def test_mapping_reproduces_upstream_stage1_actions(events: list[Any], config: AdapterConfig) -> None:
    expected = expected_json("expected", "stage1-mapped-actions.json")["events"]
    for event, want in zip(events, expected, strict=True):
        mapped = map_adapter_event(event, config)
        action = want["action"]
        for name in ("input_bytes", "output_bytes"):
            got = getattr(mapped, name)
            if name in action:
                assert got is not None
                assert len(got) == action[name]["bytes_len"]
                assert hashlib.sha256(got).hexdigest() == action[name]["sha256"]
            else:
                assert got is None
        stored = {k: v for k, v in action.items() if k not in ("input_bytes", "output_bytes")}
        assert mapped.action == stored
        assert list(mapped.action) == list(stored)  # key order is part of the hashed/written bytes


def test_payload_bytes_are_the_jcs_bytes_upstream_hashed(events: list[Any], config: AdapterConfig) -> None:
    first, second, third = (map_adapter_event(e, config) for e in events)
    folder = VECTORS / "expected" / "payload-bytes"
    assert first.input_bytes == (folder / "event1.input.jcs").read_bytes()
    assert first.output_bytes == (folder / "event1.output.jcs").read_bytes()
    assert second.input_bytes == (folder / "event2.input.jcs").read_bytes()
    assert second.output_bytes is None  # no output key at all: no digest
    assert third.input_bytes == (folder / "event3.input.jcs").read_bytes()


def test_oversized_payload_is_cut_before_hashing_like_the_adapter(
    events: list[Any], config: AdapterConfig
) -> None:
    mapped = map_adapter_event(events[2], config)
    assert mapped.output_bytes is not None
    assert len(mapped.output_bytes) == 1024 * 1024
    assert [w.code for w in mapped.warnings] == ["W_OPENCLAW_PAYLOAD_TRUNCATED"]
    assert "original 1120027 bytes" in mapped.warnings[0].message
    spec = map_adapter_event(events[2], AdapterConfig(exact_payload_size=True))
    assert spec.output_bytes is not None
    assert len(spec.output_bytes) == 1120027
    assert not spec.warnings


@pytest.mark.parametrize("negative", expected_json("expected", "capture-results.json")["results"][4:])
def test_upstream_refusals_have_upstream_codes_and_messages(
    negative: dict[str, Any], config: AdapterConfig
) -> None:
    events = {
        n["name"]: n["event"] for n in loads((VECTORS / "inputs" / "negative-events.json").read_bytes())
    }
    with pytest.raises(AuditError) as exc:
        map_adapter_event(events[negative["negative"]], config)
    assert exc.value.code == negative["code"]
    assert exc.value.args[0] == negative["message"]


BASE = {
    "tool_call_id": "c1",
    "run_id": "r1",
    "tool_name": "exec",
    "started_at": "2026-01-15T11:00:00Z",
    "status": "ok",
}


@pytest.mark.parametrize(
    ("change", "code", "fragment"),
    [
        ({"tool_call_id": ""}, "E_OPENCLAW_MISSING_FIELD", "tool_call_id"),
        ({"status": None}, "E_OPENCLAW_MISSING_FIELD", "status"),
        ({"tool_name": 7}, "E_OPENCLAW_INVALID_FIELD", "tool_name"),
        ({"completed_at": "2026-01-15T10:59:59Z"}, "E_OPENCLAW_INVALID_FIELD", "earlier than started_at"),
        ({"completed_at": "2026-13-01T00:00:00Z"}, "E_OPENCLAW_INVALID_FIELD", "completed_at"),
        ({"started_at": "2026-02-30T00:00:00Z"}, "E_OPENCLAW_INVALID_FIELD", "started_at"),
        ({"retryable": None}, "E_OPENCLAW_INVALID_FIELD", "retryable"),
        ({"error_code": "x" * 129}, "E_OPENCLAW_INVALID_FIELD", "error_code"),
        ({"run_id": "r" * 200}, "E_OPENCLAW_INVALID_FIELD", "interaction_id"),
        ({"policy": "allow"}, "E_OPENCLAW_INVALID_FIELD", "policy"),
    ],
)
def test_events_that_would_make_invalid_receipts_are_refused(
    change: dict[str, Any], code: str, fragment: str
) -> None:
    with pytest.raises(AuditError) as exc:
        map_adapter_event(BASE | change, AdapterConfig())
    assert exc.value.code == code
    assert fragment in exc.value.args[0]


def test_null_is_kept_and_absent_is_omitted_like_javascript() -> None:
    mapped = map_adapter_event(
        BASE | {"completed_at": None, "tool_provider": None, "output": None}, AdapterConfig()
    )
    assert mapped.action["completed_at"] is None
    assert mapped.action["tool_provider"] is None
    assert mapped.output_bytes == b"null"  # `"output": null` is hashed; a missing output is not
    assert "error_code" not in mapped.action
    assert mapped.input_bytes is None


def test_interaction_id_is_unambiguous() -> None:
    assert (
        interaction_id("run_2026-01-15_a", "call:002/ünï")
        == "openclaw/cnVuXzIwMjYtMDEtMTVfYQ/Y2FsbDowMDIvw7xuw68"
    )
    assert interaction_id("a:b", "c") != interaction_id("a", "b:c")


def test_unserializable_payload_is_a_warning_not_a_lost_capture() -> None:
    mapped = map_adapter_event(BASE | {"input": {"x": "\ud800"}}, AdapterConfig())
    assert mapped.input_bytes is None
    assert [w.code for w in mapped.warnings] == ["W_OPENCLAW_SERIALIZATION_FAILED"]


def test_after_tool_call_hook_mapping() -> None:
    event = {
        "toolName": "exec",
        "params": {"command": "ls"},
        "runId": "run-9",
        "toolCallId": "call_1",
        "result": {"content": [{"type": "text", "text": "ok"}]},
        "durationMs": 250,
    }
    ctx = {"agentId": "main", "sessionKey": "agent:main:main", "sessionId": "s-1", "toolName": "exec"}
    adapter, extra = hook_to_adapter_event(event, ctx, completed_ms=1768478400000)
    assert adapter == {
        "tool_call_id": "call_1",
        "run_id": "run-9",
        "tool_name": "exec",
        "started_at": "2026-01-15T11:59:59.750Z",
        "completed_at": "2026-01-15T12:00:00.000Z",
        "status": "ok",
        "session_key": "agent:main:main",
        "input": {"command": "ls"},
        "output": event["result"],
    }
    assert extra == {
        ORIGIN_EXTENSION: {
            "source": "after_tool_call",
            "agent_id": "main",
            "session_key": "agent:main:main",
            "session_id": "s-1",
        }
    }
    failed, _ = hook_to_adapter_event(
        {"toolName": "exec", "error": "boom"},
        ctx | {"runId": "r", "toolCallId": "c"},
        completed_ms=5,
        started_ms=1,
    )
    assert failed["status"] == "error"
    assert failed["started_at"] == "1970-01-01T00:00:00.001Z"
    assert "output" not in failed
    assert "input" not in failed


def test_hook_without_ids_is_refused_with_the_adapter_code() -> None:
    adapter, extra = hook_to_adapter_event({"toolName": "exec", "params": {}}, {}, completed_ms=0)
    with pytest.raises(AuditError) as exc:
        map_adapter_event(adapter, AdapterConfig(), extra)
    assert exc.value.code == "E_OPENCLAW_MISSING_FIELD"


def test_js_truthiness() -> None:
    assert not any(js_truthy(v) for v in (None, False, "", 0, 0.0, float("nan")))
    assert all(js_truthy(v) for v in ({}, [], "0", 1, True))


def test_timestamps() -> None:
    assert instant("2026-01-15T11:59:53.123456Z") == Decimal("1768478393.123456")
    assert instant("2026-01-15T12:59:53+01:00") == instant("2026-01-15T11:59:53Z")
    assert instant("2026-01-15 11:59:59") is None
    assert instant("2026-01-15T11:59:59+24:00") is None
    assert iso_ms(1768478400123) == "2026-01-15T12:00:00.123Z"
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"


def test_adapter_config_from_the_vectors(config: AdapterConfig) -> None:
    assert config.issuer == "https://agent.example.com"
    assert config.audience == "https://auditor.example.com"
    assert (config.platform, config.platform_version, config.plugin_id) == (
        "openclaw",
        "2026.1.3",
        "peac-receipts",
    )
    with pytest.raises(AuditError):
        AdapterConfig.from_json({"capture": {"max_payload_size": -1}})
