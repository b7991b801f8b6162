"""Route-ready audit functions: JSON in, JSON out (what the web API will expose)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from clawscope.audit import api
from clawscope.audit.canonical import b64u_decode, b64u_encode
from clawscope.audit.errors import AuditError
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.merklelog import check_consistency_proof, check_inclusion_proof
from clawscope.audit.recorder import Recorder
from clawscope.errors import NotFoundError
from tests.support.vectors import NOW_S, VECTORS

R1 = "r_889b8a680561cdcdb0f1e42692888168"


def test_session_receipts(recorder_factory: Callable[..., Recorder], events: list[Any], keys: KeySet) -> None:
    recorder = recorder_factory(per_workflow=True)
    recorder.capture_all(events)  # event 1 has a session key; 2 and 3 go to the unscoped spool
    recorder.close()
    out = api.session_receipts(recorder.layout.root, "agent:main:direct:alice", keys)
    assert out["chain"] == {"intact": True, "entries": 1, "checkpoint": "ok"}
    assert [(r["rid"], r["tool"], r["status"], r["emitted"]) for r in out["receipts"]] == [
        (R1, "web_search", "ok", True)
    ]
    orjson.dumps(out)  # JSON-ready as is
    with pytest.raises(NotFoundError):
        api.session_receipts(recorder.layout.root, "agent:main:nope", keys)


def test_session_receipts_report_a_broken_chain(
    recorder_factory: Callable[..., Recorder], keys: KeySet
) -> None:
    recorder = recorder_factory(per_workflow=True)
    for i in range(2):
        recorder.capture(
            {
                "tool_call_id": f"c{i}",
                "run_id": "r",
                "tool_name": "exec",
                "status": "ok",
                "started_at": "2026-01-15T11:00:00Z",
                "session_key": "agent:main:main",
            }
        )
    recorder.close()
    spool = recorder.layout.spool_dir("agent:main:main") / "spool.jsonl"
    spool.write_text(spool.read_text().replace('"exec"', '"read"', 1))
    out = api.session_receipts(recorder.layout.root, "agent:main:main", keys)
    assert out["chain"]["intact"] is False
    assert out["chain"]["code"] == "E_SPOOL_DIGEST_MISMATCH"


def test_verify_upload(keys: KeySet) -> None:
    good = (VECTORS / "wire02" / "receipts-jws" / f"{R1}.jws").read_bytes()
    out = api.verify_upload(good, keys, NOW_S)
    assert out["ok"]
    assert out["wire"] == "0.2"
    assert out["kid"] == "k_560d1e49"
    assert out["evidence"]["tool"] == {"name": "web_search", "provider": "builtin"}
    peac_json = (VECTORS / "receipts" / f"{R1}.peac.json").read_bytes()
    assert api.verify_upload(peac_json, keys, NOW_S)["wire"] == "0.1"
    head, payload, sig = good.decode().strip().split(".")
    edited = b64u_encode(b64u_decode(payload).replace(b"web_search", b"web_fetch"))
    assert api.verify_upload(f"{head}.{edited}.{sig}".encode(), keys, NOW_S)["code"] == "E_SIGNATURE_INVALID"
    assert api.verify_upload(f"{head}.e{payload}.{sig}".encode(), keys, NOW_S)["code"] == "E_JWS_MALFORMED"
    assert api.verify_upload(b"{nope", keys, NOW_S)["code"] == "E_JWS_MALFORMED"
    assert api.verify_upload(b'{"x":1}', keys, NOW_S)["ok"] is False


def test_checkpoint_and_proofs(
    recorder_factory: Callable[..., Recorder], events: list[Any], key: SigningKey, keys: KeySet
) -> None:
    recorder = recorder_factory()
    recorder.capture_all(events[:2])
    recorder.flush()
    old = api.latest_checkpoint(recorder.layout.root, keys)
    recorder.capture(events[2])
    recorder.close()
    latest = api.latest_checkpoint(recorder.layout.root, keys)
    assert (old["size"], latest["size"]) == (4, 6)
    proof = api.inclusion_proof(recorder.layout.root, R1, keys)
    jws = (recorder.layout.jws02 / f"{R1}.jws").read_text().strip()
    assert check_inclusion_proof(proof, keys, jws).size == 6
    consistency = api.consistency_proof(recorder.layout.root, old["checkpoint"], keys)
    assert check_consistency_proof(consistency, keys, old["checkpoint"])[1].size == 6
    with pytest.raises(NotFoundError):
        api.inclusion_proof(recorder.layout.root, "r_" + "0" * 32, keys)
    with pytest.raises(AuditError) as exc:
        api.latest_checkpoint(recorder.layout.root, KeySet([SigningKey.generate().public]))
    assert exc.value.code == "E_LOG_NOTE_SIGNATURE"


def test_no_checkpoint_yet(tmp_path: Path, keys: KeySet) -> None:
    with pytest.raises(NotFoundError):
        api.latest_checkpoint(tmp_path, keys)


def test_verify_files_cross_checks_uploads(captured: Path, keys: KeySet) -> None:
    from clawscope.audit.layout import Layout

    layout = Layout(captured)
    spool = {
        "content": (captured / "spool" / "spool.jsonl").read_text(),
        "checkpoint": (captured / "spool" / "spool.checkpoint.jws").read_text(),
    }
    jws = (layout.jws02 / f"{R1}.jws").read_text()
    good = api.verify_files([{"name": f"{R1}.jws", "content": jws}, spool], keys, NOW_S)
    assert [(r["kind"], r["ok"], r["path"]) for r in good] == [
        ("receipt", True, f"{R1}.jws"),
        ("spool", True, "spool.jsonl"),
    ]
    unsafe = api.verify_files([{"name": "../../etc/passwd", "content": jws}], keys, NOW_S)
    assert unsafe[0]["ok"] is True and unsafe[0]["path"] == "../../etc/passwd", unsafe  # kept in its temp dir
    edited = dict(spool, content=spool["content"].replace('"web_search"', '"web_fetch"', 1))
    assert api.verify_files([edited], keys, NOW_S)[0]["code"] == "E_SPOOL_DIGEST_MISMATCH"
    unanchored = {"content": spool["content"]}
    assert api.verify_files([unanchored], keys, NOW_S)[0]["code"] == "E_CHECKPOINT_MISSING"
    assert api.verify_files([unanchored], keys, NOW_S, require_checkpoint=False)[0]["ok"] is True


def test_consistency_between_kept_checkpoints(
    recorder_factory: Callable[..., Recorder], events: list[Any], keys: KeySet
) -> None:
    recorder = recorder_factory()
    recorder.capture_all(events[:2])
    recorder.flush()
    old = api.latest_checkpoint(recorder.layout.root, keys)["checkpoint"]
    recorder.capture(events[2])
    recorder.close()
    proof = api.consistency_between(recorder.layout.root, 4, None, keys)
    assert proof == api.consistency_between(recorder.layout.root, 4, 6, keys)
    assert check_consistency_proof(proof, keys, old)[1].size == 6
    with pytest.raises(NotFoundError):
        api.consistency_between(recorder.layout.root, 5, None, keys)
    with pytest.raises(AuditError) as exc:
        api.consistency_between(recorder.layout.root, 6, 4, keys)
    assert exc.value.code == "E_CONSISTENCY_FAILED"
