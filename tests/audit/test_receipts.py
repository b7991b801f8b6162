"""Receipts: InteractionEvidence, Wire 0.1 and Wire 0.2 JWS and the `.peac.json` files, byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clawscope.audit.canonical import b64u_decode, loads
from clawscope.audit.evidence import to_evidence, validate_evidence
from clawscope.audit.jws import SigningKey
from clawscope.audit.layout import Layout
from clawscope.audit.receipts import Issuer, peac_json, sign_entry, write_receipt
from tests.support.vectors import NOW_S, VECTORS, expected_json


def spool_entries() -> list[dict[str, Any]]:
    return [loads(line) for line in (VECTORS / "spool" / "spool.jsonl").read_bytes().splitlines()]


@pytest.fixture
def signed(key: SigningKey) -> list[Any]:
    issuer = Issuer(key, "https://agent.example.com", "https://auditor.example.com")
    return [sign_entry(entry, issuer, NOW_S) for entry in spool_entries()]


def test_evidence_is_exactly_upstream(tmp_path: Path) -> None:
    evidence = [to_evidence(e) for e in spool_entries()]
    assert evidence == expected_json("expected", "interaction-evidence.json")
    for ev in evidence:
        errors, warnings = validate_evidence(ev)
        assert errors == []
        assert warnings == []


def test_wire01_receipts_are_byte_identical(signed: list[Any]) -> None:
    for receipt in signed:
        assert receipt.wire01 + "\n" == (VECTORS / "receipts-jws" / f"{receipt.rid}.jws").read_text()
        expected = (VECTORS / "receipts" / f"{receipt.rid}.peac.json").read_text()
        assert peac_json(receipt.wire01, receipt.wire01_payload) == expected  # no trailing newline either


def test_wire02_records_are_byte_identical(signed: list[Any]) -> None:
    decoded = {d["file"]: d for d in expected_json("wire02", "expected", "receipts-decoded.json")}
    for receipt in signed:
        assert (
            receipt.wire02 + "\n" == (VECTORS / "wire02" / "receipts-jws" / f"{receipt.rid}.jws").read_text()
        )
        head, payload, _ = receipt.wire02.split(".")
        assert b64u_decode(payload).decode() == decoded[f"{receipt.rid}.jws"]["payload_json"]
        assert b64u_decode(head).decode() == decoded[f"{receipt.rid}.jws"]["header_json"]


def test_receipt_files_are_written_in_the_vector_layout(tmp_path: Path, signed: list[Any]) -> None:
    layout = Layout(tmp_path)
    for receipt in signed:
        paths = write_receipt(layout, receipt)
        assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
            f"receipts/{receipt.rid}.peac.json",
            f"receipts-jws/{receipt.rid}.jws",
            f"wire02/receipts-jws/{receipt.rid}.jws",
        ]
        for path in paths:
            assert path.read_bytes() == (VECTORS / path.relative_to(tmp_path)).read_bytes()
    assert not list(tmp_path.rglob("*.tmp"))


def test_no_audience_means_no_aud_claim(key: SigningKey) -> None:
    receipt = sign_entry(spool_entries()[0], Issuer(key, "https://agent.example.com"), NOW_S)
    assert "aud" not in receipt.wire01_payload
    assert list(receipt.wire01_payload) == ["iss", "iat", "rid", "evidence"]


BASE: dict[str, Any] = {
    "interaction_id": "openclaw/x/y",
    "kind": "tool.call",
    "executor": {"platform": "openclaw"},
    "started_at": "2026-01-15T11:00:00Z",
    "tool": {"name": "exec"},
}
DIGEST = {"alg": "sha-256", "value": "a" * 64, "bytes": 3}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"interaction_id": ""}, "E_INTERACTION_MISSING_ID"),
        ({"kind": "Tool"}, "E_INTERACTION_INVALID_KIND_FORMAT"),
        ({"kind": "peac.secret"}, "E_INTERACTION_KIND_RESERVED"),
        ({"started_at": "yesterday"}, "E_INTERACTION_MISSING_STARTED_AT"),
        ({"executor": {}}, "E_INTERACTION_MISSING_EXECUTOR"),
        (
            {"input": {"digest": DIGEST | {"alg": "md5"}, "redaction": "hash_only"}},
            "E_INTERACTION_INVALID_DIGEST_ALG",
        ),
        (
            {"input": {"digest": DIGEST | {"value": "A" * 64}, "redaction": "hash_only"}},
            "E_INTERACTION_INVALID_DIGEST",
        ),
        ({"completed_at": "2026-01-15T10:00:00Z"}, "E_INTERACTION_INVALID_TIMING"),
        ({"output": {"digest": DIGEST, "redaction": "hash_only"}}, "E_INTERACTION_MISSING_RESULT"),
        ({"result": {"status": "error"}}, "E_INTERACTION_MISSING_ERROR_DETAIL"),
        ({"extensions": {"NotNamespaced": 1}}, "E_INTERACTION_INVALID_EXTENSION_KEY"),
        ({"tool": "exec"}, "E_INTERACTION_INVALID_FORMAT"),
        ({"surprise": 1}, "E_INTERACTION_INVALID_FORMAT"),
        ({"result": {"status": "ok", "retryable": None}}, "E_INTERACTION_INVALID_FORMAT"),
        ({"tool": {"name": "x", "color": "red"}}, "E_INTERACTION_INVALID_FORMAT"),
    ],
)
def test_evidence_validation_codes(change: dict[str, Any], code: str) -> None:
    ev = {k: v for k, v in (BASE | change).items() if v is not None}
    errors, _ = validate_evidence(ev)
    assert errors
    assert errors[0].code == code


def test_missing_tool_target_for_tool_kind() -> None:
    ev = {k: v for k, v in BASE.items() if k != "tool"}
    assert validate_evidence(ev)[0][0].code == "E_INTERACTION_MISSING_TARGET"


def test_offsets_are_accepted_with_a_warning() -> None:
    errors, warnings = validate_evidence(BASE | {"started_at": "2026-01-15T12:00:00+01:00"})
    assert errors == []
    assert [w.code for w in warnings] == ["W_EVIDENCE_TIMESTAMP_OFFSET"]
