"""Contract tests of the audit routes over real receipts (the PEAC vectors' events and key).

Proofs returned by the API are checked with the library's offline verifiers, as a third party would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clawscope.audit.canonical import b64u_decode, b64u_encode, loads
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.layout import Layout
from clawscope.audit.merklelog import check_consistency_proof, check_inclusion_proof
from clawscope.audit.note import open_note
from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app
from tests.support.auditdir import ALICE, JWKS, R1, build_audit_dir
from tests.support.server import auth
from tests.support.vectors import VECTORS


@pytest.fixture
def audited(tmp_path: Path) -> tuple[Path, str]:
    """An audit dir with the three vector events (per session), and the checkpoint after the first two."""
    root = tmp_path / "audit"
    return root, build_audit_dir(root)


@pytest.fixture
def settings(settings: Settings, audited: tuple[Path, str]) -> Settings:
    return replace(settings, audit_dir=str(audited[0]), receipt_key=str(JWKS))


@pytest.fixture
def reader(make_key: Callable[..., str]) -> dict[str, str]:
    return auth(make_key("audit:read"))


@pytest.fixture
def keys() -> KeySet:
    return KeySet.load(JWKS)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "message", "param", "type"}
    return error


def _spool_item(root: Path, workflow: str) -> dict[str, Any]:
    spool_dir = Layout(root).spool_dir(workflow)
    return {
        "name": "spool.jsonl",
        "content": (spool_dir / "spool.jsonl").read_text(),
        "checkpoint": (spool_dir / "spool.checkpoint.jws").read_text(),
        "workflow": workflow,
    }


def test_session_receipts(client: TestClient, reader: dict[str, str]) -> None:
    out = client.get(f"/api/v1/sessions/{ALICE}/receipts", headers=reader)
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["chain"] == {"intact": True, "entries": 1, "checkpoint": "ok"}
    assert [(r["rid"], r["tool"], r["emitted"]) for r in body["receipts"]] == [(R1, "web_search", True)]
    assert _error(client.get("/api/v1/sessions/agent:main:nope/receipts", headers=reader), 404)["code"] == (
        "not_found"
    )


def test_session_receipts_report_an_edited_spool(
    client: TestClient, reader: dict[str, str], audited: tuple[Path, str]
) -> None:
    spool = Layout(audited[0]).spool_dir(ALICE) / "spool.jsonl"
    spool.write_text(spool.read_text().replace("web_search", "web_fetch", 1))
    chain = client.get(f"/api/v1/sessions/{ALICE}/receipts", headers=reader).json()["chain"]
    assert (chain["intact"], chain["code"]) == (False, "E_SPOOL_DIGEST_MISMATCH")


def test_scopes_and_credentials(client: TestClient, make_key: Callable[..., str]) -> None:
    assert _error(client.get("/api/v1/receipts/checkpoint"), 401)["code"] == "unauthorized"
    stats_only = auth(make_key("stats:read"))
    error = _error(client.get("/api/v1/receipts/checkpoint", headers=stats_only), 403)
    assert (error["code"], error["param"]) == ("insufficient_scope", "audit:read")
    assert client.get("/api/v1/receipts/checkpoint", headers=auth(make_key("admin"))).status_code == 200


def test_verify_upload_accepts_real_receipts_and_spools(
    client: TestClient, reader: dict[str, str], audited: tuple[Path, str]
) -> None:
    root = audited[0]
    layout = Layout(root)
    items = [
        {"name": f"{R1}.jws", "content": (layout.jws02 / f"{R1}.jws").read_text()},
        {"content": (layout.receipts / f"{R1}.peac.json").read_text()},
        _spool_item(root, ALICE),
    ]
    out = client.post("/api/v1/receipts/verify", json={"items": items}, headers=reader)
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["ok"] is True
    assert [(r["kind"], r["ok"], r.get("wire")) for r in body["results"]] == [
        ("receipt", True, "0.2"),
        ("peac-json", True, "0.1"),
        ("spool", True, None),
    ]
    assert body["results"][0]["rid"] == R1
    # the vectors' own receipt verifies with a key given in the request
    vector = (VECTORS / "wire02" / "receipts-jws" / f"{R1}.jws").read_text()
    public = loads((VECTORS / "keys" / "public.jwk").read_bytes())
    out = client.post(
        "/api/v1/receipts/verify", json={"items": [{"content": vector}], "public_key": public}, headers=reader
    )
    assert out.json()["ok"] is True


def test_verify_upload_rejects_tampering_with_its_code(
    client: TestClient, reader: dict[str, str], audited: tuple[Path, str]
) -> None:
    root = audited[0]
    layout = Layout(root)
    head, payload, sig = (layout.jws02 / f"{R1}.jws").read_text().strip().split(".")
    edited = b64u_encode(b64u_decode(payload).replace(b"web_search", b"web_fetch"))
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    spool = _spool_item(root, ALICE)
    edited_spool = dict(spool, content=spool["content"].replace("web_search", "web_fetch", 1))
    unanchored = dict(spool, checkpoint=None)
    items = [
        {"content": f"{head}.{edited}.{sig}"},
        {"content": f"{head}.{payload}.{flipped}"},
        {"content": "not a receipt"},
        edited_spool,
        unanchored,
        {"name": "r_00000000000000000000000000000000.jws", "content": f"{head}.{payload}.{sig}"},
    ]
    out = client.post("/api/v1/receipts/verify", json={"items": items}, headers=reader)
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["ok"] is False
    assert [r["code"] for r in body["results"]] == [
        "E_SIGNATURE_INVALID",
        "E_SIGNATURE_INVALID",
        "E_JWS_MALFORMED",
        "E_SPOOL_DIGEST_MISMATCH",
        "E_CHECKPOINT_MISSING",
        "E_RECEIPT_NAME_MISMATCH",
    ]
    assert all(r["message"] for r in body["results"])


def test_verify_upload_detects_a_truncated_spool_and_a_wrong_key(
    client: TestClient, reader: dict[str, str], audited: tuple[Path, str]
) -> None:
    root = audited[0]
    unscoped = Layout(root).spool_dir(None)  # events 2 and 3 carry no session key
    lines = (unscoped / "spool.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) == 2
    truncated = {"content": lines[0], "checkpoint": (unscoped / "spool.checkpoint.jws").read_text()}
    out = client.post("/api/v1/receipts/verify", json={"items": [truncated]}, headers=reader).json()
    assert out["results"][0]["code"] == "E_SPOOL_TRUNCATED"
    other = SigningKey.generate().public.jwk()
    jws = (Layout(root).jws02 / f"{R1}.jws").read_text()
    out = client.post(
        "/api/v1/receipts/verify", json={"items": [{"content": jws}], "public_key": other}, headers=reader
    ).json()
    assert out["results"][0]["code"] == "E_KEY_NOT_FOUND"
    private = SigningKey.generate().jwk()
    error = _error(
        client.post(
            "/api/v1/receipts/verify",
            json={"items": [{"content": jws}], "public_key": private},
            headers=reader,
        ),
        422,
    )
    assert (error["code"], error["param"]) == ("E_KEY_PRIVATE_MATERIAL", "public_key")
    assert _error(client.post("/api/v1/receipts/verify", json={"items": []}, headers=reader), 422)[
        "param"
    ] == ("items")


def test_checkpoint_and_inclusion_proof_verify_offline(
    client: TestClient, reader: dict[str, str], audited: tuple[Path, str], keys: KeySet
) -> None:
    latest = client.get("/api/v1/receipts/checkpoint", headers=reader).json()
    assert latest["size"] == 6
    assert open_note(latest["checkpoint"], keys).size == 6
    assert client.get("/api/v1/receipts/keys", headers=reader).json() == keys.jwks()
    proof = client.get(f"/api/v1/receipts/{R1}/proof", headers=reader)
    assert proof.status_code == 200, proof.text
    jws = (Layout(audited[0]).jws02 / f"{R1}.jws").read_text().strip()
    assert check_inclusion_proof(proof.json(), keys, jws).size == 6
    missing = client.get(f"/api/v1/receipts/r_{'0' * 32}/proof", headers=reader)
    assert _error(missing, 404)["code"] == "not_found"
    assert _error(client.get("/api/v1/receipts/nope/proof", headers=reader), 422)["param"] == "rid"


def test_consistency_proofs_verify_against_the_kept_checkpoint(
    client: TestClient, reader: dict[str, str], audited: tuple[Path, str], keys: KeySet
) -> None:
    old = audited[1]
    assert open_note(old, keys).size == 4
    by_size = client.get("/api/v1/receipts/consistency", params={"from": 4}, headers=reader)
    assert by_size.status_code == 200, by_size.text
    assert check_consistency_proof(by_size.json(), keys, old)[1].size == 6
    explicit = client.get("/api/v1/receipts/consistency", params={"from": 4, "to": 6}, headers=reader).json()
    assert explicit == by_size.json()
    posted = client.post("/api/v1/receipts/consistency", json={"checkpoint": old}, headers=reader)
    assert posted.status_code == 200, posted.text
    assert check_consistency_proof(posted.json(), keys, old)[0].size == 4
    assert (
        _error(client.get("/api/v1/receipts/consistency?from=5", headers=reader), 404)["code"] == "not_found"
    )
    assert _error(client.get("/api/v1/receipts/consistency?from=6&to=4", headers=reader), 422)["code"] == (
        "E_CONSISTENCY_FAILED"
    )
    forged = old.replace(old.split("\n")[2], b64u_encode(b"\x00" * 32).replace("-", "+") + "=", 1)
    error = _error(
        client.post("/api/v1/receipts/consistency", json={"checkpoint": forged}, headers=reader), 422
    )
    assert error["code"].startswith("E_LOG_NOTE")


def test_a_rewritten_log_is_reported_not_proved(
    client: TestClient, reader: dict[str, str], audited: tuple[Path, str]
) -> None:
    leaves = Layout(audited[0]).log / "leaves.jsonl"
    lines = leaves.read_text().splitlines(keepends=True)
    leaves.write_text("".join([lines[1], lines[0], *lines[2:]]))
    error = _error(client.get(f"/api/v1/receipts/{R1}/proof", headers=reader), 503)
    assert error["code"] == "E_LOG_CORRUPT"


def test_unconfigured_audit_is_a_clear_503(
    settings: Settings, store: Store, make_key: Callable[..., str], tmp_path: Path
) -> None:
    app = create_app(replace(settings, receipt_key=str(tmp_path / "missing.jwk")), store=store)
    with TestClient(app) as client:
        response = client.get("/api/v1/receipts/checkpoint", headers=auth(make_key("audit:read")))
    assert _error(response, 503)["code"] == "audit_not_configured"


def test_an_oversized_upload_is_refused_with_the_envelope(client: TestClient, reader: dict[str, str]) -> None:
    body = b'{"items":[{"content":"' + b"a" * (33 * 1024 * 1024) + b'"}]}'
    response = client.post(
        "/api/v1/receipts/verify", content=body, headers={**reader, "Content-Type": "application/json"}
    )
    error = _error(response, 413)
    assert (error["code"], error["param"]) == ("payload_too_large", "body")
    one_item_too_long = {"items": [{"content": "a" * (8 * 1024 * 1024 + 1)}]}
    error = _error(client.post("/api/v1/receipts/verify", json=one_item_too_long, headers=reader), 422)
    assert error["param"] == "items.0.content"
