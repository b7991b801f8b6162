"""The tamper matrix: every way to alter receipts, spools and logs is rejected with its own code.

Each case starts from a fresh, valid audit directory (the three vector events, emitted and sealed),
applies one tamper, and checks the code twice: from the library and from `clawscope receipts verify`.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clawscope.audit.anchor import CHECKPOINT_FILE, sign_checkpoint
from clawscope.audit.bundle import BundleSpec, create_bundle
from clawscope.audit.canonical import b64u_decode, b64u_encode, loads, stringify
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.spool import entry_digest
from clawscope.audit.verify import Options, verify_paths
from clawscope.cli import cli
from tests.support.vectors import NOW_MS, NOW_S, VECTORS

R1, R2, R3 = (
    "r_889b8a680561cdcdb0f1e42692888168",
    "r_b93f8a90a9a86c41b44da7c8406c4e8c",
    "r_1bf9694c4ca14399f65a5f3e61fcf582",
)
PUBLIC = VECTORS / "keys" / "public.jwk"


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, payload, _ = token.split(".")
    return json.loads(b64u_decode(head)), json.loads(b64u_decode(payload))


def resign(
    path: Path, key: SigningKey, edit: Callable[[dict[str, Any], dict[str, Any]], None], dest: Path
) -> Path:
    header, payload = parts(path.read_text().strip())
    edit(header, payload)
    head = b64u_encode(stringify(header).encode())
    body = b64u_encode(stringify(payload).encode())
    dest.write_text(f"{head}.{body}.{b64u_encode(key.sign(f'{head}.{body}'.encode()))}\n")
    return dest


def spool_lines(root: Path) -> list[bytes]:
    return (root / "spool" / "spool.jsonl").read_bytes().splitlines(keepends=True)


def write_spool(root: Path, lines: list[bytes]) -> Path:
    (root / "spool" / "spool.jsonl").write_bytes(b"".join(lines))
    return root / "spool" / "spool.jsonl"


def rechain(entries: list[dict[str, Any]]) -> bytes:
    prev = "0" * 64
    for entry in entries:
        entry["prev_entry_digest"] = prev
        entry["entry_digest"] = entry_digest(entry)
        prev = entry["entry_digest"]
    return b"".join((stringify(e) + "\n").encode() for e in entries)


# -- tampers: (root, key) -> files to verify (+ optional Options overrides) ------------------------


def flipped_signature_bit(root: Path, key: SigningKey) -> list[Path]:
    path = root / "receipts-jws" / f"{R1}.jws"
    head, payload, sig = path.read_text().strip().split(".")
    raw = bytearray(b64u_decode(sig))
    raw[10] ^= 0x01
    path.write_text(f"{head}.{payload}.{b64u_encode(bytes(raw))}\n")
    return [path]


def edited_signed_payload(root: Path, key: SigningKey) -> list[Path]:
    path = root / "wire02" / "receipts-jws" / f"{R1}.jws"
    head, payload, sig = path.read_text().strip().split(".")
    text = b64u_decode(payload).decode().replace("web_search", "web_fetch")
    path.write_text(f"{head}.{b64u_encode(text.encode())}.{sig}\n")
    return [path]


def edited_unsigned_copy(root: Path, key: SigningKey) -> list[Path]:
    path = root / "receipts" / f"{R1}.peac.json"
    path.write_text(path.read_text().replace('"name": "web_search"', '"name": "web_fetch"'))
    return [path]


def renamed_receipt(root: Path, key: SigningKey) -> list[Path]:
    dest = root / "receipts-jws" / ("r_" + "0" * 32 + ".jws")
    shutil.copy(root / "receipts-jws" / f"{R1}.jws", dest)
    return [dest]


def spool_field_edit(root: Path, key: SigningKey) -> list[Path]:
    lines = spool_lines(root)
    lines[1] = lines[1].replace(b'"tool_name":"read_file"', b'"tool_name":"list_dir"')
    return [write_spool(root, lines)]


def spool_rewritten_and_rehashed(root: Path, key: SigningKey) -> list[Path]:
    entries = [loads(line) for line in spool_lines(root)]
    entries[1]["action"]["tool_name"] = "list_dir"
    return [write_spool(root, [rechain(entries)])]


def spool_rewritten_and_head_resigned(root: Path, key: SigningKey) -> list[Path]:
    # The operator holds the key: rewrite the chain AND re-sign its head. Receipts already handed out
    # (here: the receipt of the edited entry) no longer match the spool.
    spool = spool_rewritten_and_rehashed(root, key)[0]
    entries = [loads(line) for line in spool_lines(root)]
    token = sign_checkpoint(
        key,
        iss="https://agent.example.com",
        iat=NOW_S,
        sequence=3,
        head_digest=entries[-1]["entry_digest"],
        workflow=None,
    )
    (root / "spool" / CHECKPOINT_FILE).write_text(token + "\n")
    return [spool, root / "receipts-jws" / f"{R2}.jws"]


def deleted_entry(root: Path, key: SigningKey) -> list[Path]:
    lines = spool_lines(root)
    return [write_spool(root, [lines[0], lines[2]])]


def reordered_entries(root: Path, key: SigningKey) -> list[Path]:
    lines = spool_lines(root)
    return [write_spool(root, [lines[0], lines[2], lines[1]])]


def duplicated_entry(root: Path, key: SigningKey) -> list[Path]:
    lines = spool_lines(root)
    return [write_spool(root, [*lines, lines[2]])]


def truncated_tail(root: Path, key: SigningKey) -> list[Path]:
    return [write_spool(root, spool_lines(root)[:2])]


def truncated_tail_and_checkpoint_deleted(root: Path, key: SigningKey) -> list[Path]:
    (root / "spool" / CHECKPOINT_FILE).unlink()
    return truncated_tail(root, key)


def truncated_tail_against_auditor_copy(root: Path, key: SigningKey) -> list[Path]:
    kept = root.parent / "auditor-copy.jws"
    shutil.copy(root / "spool" / CHECKPOINT_FILE, kept)  # the auditor kept the head of day 1
    lines = spool_lines(root)[:2]
    head = loads(lines[-1])["entry_digest"]
    token = sign_checkpoint(
        key, iss="https://agent.example.com", iat=NOW_S, sequence=2, head_digest=head, workflow=None
    )
    (root / "spool" / CHECKPOINT_FILE).write_text(token + "\n")  # the operator re-sealed the shorter spool
    return [write_spool(root, lines)]


def torn_last_line(root: Path, key: SigningKey) -> list[Path]:
    data = (root / "spool" / "spool.jsonl").read_bytes()
    (root / "spool" / "spool.jsonl").write_bytes(data[:-30])
    return [root / "spool" / "spool.jsonl"]


def alg_none(root: Path, key: SigningKey) -> list[Path]:
    path = root / "receipts-jws" / f"{R1}.jws"
    header, payload = parts(path.read_text().strip())
    header["alg"] = "none"
    path.write_text(
        f"{b64u_encode(stringify(header).encode())}.{b64u_encode(stringify(payload).encode())}.\n"
    )
    return [path]


def embedded_attacker_jwk(root: Path, key: SigningKey) -> list[Path]:
    attacker = SigningKey.from_seed(b"\x07" * 32, kid=key.kid)

    def edit(header: dict[str, Any], payload: dict[str, Any]) -> None:
        header["jwk"] = attacker.public.jwk()
        payload["iss"] = "https://attacker.example"

    path = root / "receipts-jws" / f"{R1}.jws"
    return [resign(path, attacker, edit, path)]


def attacker_key_same_kid(root: Path, key: SigningKey) -> list[Path]:
    attacker = SigningKey.from_seed(b"\x07" * 32, kid=key.kid)
    path = root / "wire02" / "receipts-jws" / f"{R1}.jws"
    return [resign(path, attacker, lambda _h, _p: None, path)]


def bundle_sig_as_receipt(root: Path, key: SigningKey) -> list[Path]:
    tokens = [p.read_text().strip() for p in sorted((root / "wire02" / "receipts-jws").glob("*.jws"))]
    spec = BundleSpec("01KF0000000000000000000001", "2026-01-15T12:00:00.000Z", "https://auditor.example.com")
    data = create_bundle(tokens, KeySet([key.public]), spec, NOW_S, key)
    sig = zipfile.ZipFile(io.BytesIO(data)).read("bundle.sig")
    dest = root / "receipts-jws" / "bundle-sig.jws"
    dest.write_bytes(sig + b"\n")
    return [dest]


def checkpoint_as_receipt(root: Path, key: SigningKey) -> list[Path]:
    dest = root / "receipts-jws" / "checkpoint.jws"
    shutil.copy(root / "spool" / CHECKPOINT_FILE, dest)
    return [dest]


def wire02_payload_under_wire01_typ(root: Path, key: SigningKey) -> list[Path]:
    path = root / "wire02" / "receipts-jws" / f"{R1}.jws"
    return [resign(path, key, lambda h, _p: h.update(typ="peac-receipt/0.1"), path)]


def iat_in_the_future(root: Path, key: SigningKey) -> list[Path]:
    path = root / "receipts-jws" / f"{R1}.jws"
    return [resign(path, key, lambda _h, p: p.update(iat=NOW_S + 3600), path)]


def invalid_evidence_signed(root: Path, key: SigningKey) -> list[Path]:
    def edit(header: dict[str, Any], payload: dict[str, Any]) -> None:
        payload["evidence"]["extensions"]["org.peacprotocol/interaction@0.1"]["completed_at"] = (
            "2026-01-01T00:00:00Z"
        )

    path = root / "receipts-jws" / f"{R1}.jws"
    return [resign(path, key, edit, path)]


def unknown_claim(root: Path, key: SigningKey) -> list[Path]:
    path = root / "receipts-jws" / f"{R1}.jws"
    return [resign(path, key, lambda _h, p: p.update(amt=100), path)]


def evidence_differs_from_spool(root: Path, key: SigningKey) -> list[Path]:
    def edit(header: dict[str, Any], payload: dict[str, Any]) -> None:
        payload["evidence"]["extensions"]["org.peacprotocol/interaction@0.1"]["tool"]["name"] = "web_fetch"

    path = root / "receipts-jws" / f"{R1}.jws"
    return [root / "spool" / "spool.jsonl", resign(path, key, edit, path)]


def oversized_token(root: Path, key: SigningKey) -> list[Path]:
    path = root / "receipts-jws" / f"{R1}.jws"
    path.write_text("e" * (300 * 1024) + ".e30.AA\n")
    return [path]


def log_leaf_edited(root: Path, key: SigningKey) -> list[Path]:
    path = root / "log" / "leaves.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    doc = loads(lines[2])
    doc["receipt_hash"] = "sha256:" + "0" * 64
    lines[2] = (stringify(doc) + "\n").encode()
    path.write_bytes(b"".join(lines))
    return [path]


def log_leaf_deleted(root: Path, key: SigningKey) -> list[Path]:
    path = root / "log" / "leaves.jsonl"
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))
    return [path]


MATRIX: list[tuple[Callable[[Path, SigningKey], list[Path]], str]] = [
    (flipped_signature_bit, "E_SIGNATURE_INVALID"),
    (edited_signed_payload, "E_SIGNATURE_INVALID"),
    (edited_unsigned_copy, "E_RECEIPT_COPY_MISMATCH"),
    (renamed_receipt, "E_RECEIPT_NAME_MISMATCH"),
    (spool_field_edit, "E_SPOOL_DIGEST_MISMATCH"),
    (spool_rewritten_and_rehashed, "E_CHECKPOINT_MISMATCH"),
    (spool_rewritten_and_head_resigned, "E_RECEIPT_NOT_IN_SPOOL"),
    (deleted_entry, "E_SPOOL_ENTRY_MISSING"),
    (reordered_entries, "E_SPOOL_REORDERED"),
    (duplicated_entry, "E_SPOOL_DUPLICATE_SEQUENCE"),
    (truncated_tail, "E_SPOOL_TRUNCATED"),
    (truncated_tail_and_checkpoint_deleted, "E_CHECKPOINT_MISSING"),
    (torn_last_line, "E_SPOOL_MALFORMED"),
    (alg_none, "E_JWS_ALG"),
    (embedded_attacker_jwk, "E_JWS_FORBIDDEN_HEADER"),
    (attacker_key_same_kid, "E_SIGNATURE_INVALID"),
    (bundle_sig_as_receipt, "E_CLAIMS_INVALID"),
    (checkpoint_as_receipt, "E_JWS_TYP"),
    (wire02_payload_under_wire01_typ, "E_WIRE_VERSION_MISMATCH"),
    (iat_in_the_future, "E_IAT_IN_FUTURE"),
    (invalid_evidence_signed, "E_EVIDENCE_INVALID"),
    (unknown_claim, "E_CLAIMS_INVALID"),
    (evidence_differs_from_spool, "E_RECEIPT_EVIDENCE_MISMATCH"),
    (oversized_token, "E_JWS_TOO_LARGE"),
    (log_leaf_edited, "E_LOG_CORRUPT"),
    (log_leaf_deleted, "E_LOG_CORRUPT"),
]


def failing_codes(verdicts: list[Any]) -> list[str]:
    return [v.code for v in verdicts if not v.ok]


@pytest.mark.parametrize(("tamper", "code"), MATRIX, ids=[t.__name__ for t, _ in MATRIX])
def test_tamper_is_rejected_with_its_own_code(
    captured: Path, key: SigningKey, keys: KeySet, tamper: Callable[[Path, SigningKey], list[Path]], code: str
) -> None:
    targets = tamper(captured, key)
    verdicts = verify_paths(targets, Options(keys, NOW_S))
    assert code in failing_codes(verdicts), verdicts
    assert set(failing_codes(verdicts)) == {code}, verdicts
    result = CliRunner().invoke(
        cli, ["receipts", "verify", *map(str, targets), "--public-key", str(PUBLIC), "--now-ms", str(NOW_MS)]
    )
    assert result.exit_code == 1
    assert code in result.output


def test_the_untampered_directory_verifies(captured: Path, keys: KeySet) -> None:
    verdicts = verify_paths([captured], Options(keys, NOW_S))
    assert [v for v in verdicts if not v.ok] == []
    assert len(verdicts) == 11
    result = CliRunner().invoke(
        cli, ["receipts", "verify", str(captured), "--public-key", str(PUBLIC), "--now-ms", str(NOW_MS)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("OK ") == 11


def test_auditor_checkpoint_catches_a_resealed_truncation(
    captured: Path, key: SigningKey, keys: KeySet
) -> None:
    spool = truncated_tail_against_auditor_copy(captured, key)[0]
    assert failing_codes(verify_paths([spool], Options(keys, NOW_S))) == []  # the operator's own seal agrees
    kept = captured.parent / "auditor-copy.jws"
    assert failing_codes(verify_paths([spool], Options(keys, NOW_S, checkpoint=kept))) == [
        "E_SPOOL_TRUNCATED"
    ]


def test_wrong_key(captured: Path) -> None:
    stranger = KeySet([SigningKey.generate().public])
    codes = failing_codes(verify_paths([captured / "receipts-jws"], Options(stranger, NOW_S)))
    assert codes == ["E_KEY_NOT_FOUND"] * 3
    impostor = KeySet([SigningKey.from_seed(b"\x09" * 32, kid="k_560d1e49").public])
    codes = failing_codes(verify_paths([captured / "receipts-jws"], Options(impostor, NOW_S)))
    assert codes == ["E_SIGNATURE_INVALID"] * 3


def test_private_key_given_as_public_key_is_refused(captured: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "receipts",
            "verify",
            str(captured),
            "--public-key",
            str(VECTORS / "keys" / "signing-key.TEST-ONLY.jwk"),
        ],
    )
    assert result.exit_code == 1
    assert "E_KEY_PRIVATE_MATERIAL" in result.output


def test_unanchored_spool_is_an_error_unless_allowed(keys: KeySet) -> None:
    spool = VECTORS / "spool" / "spool.jsonl"  # upstream writes no signed head
    assert failing_codes(verify_paths([spool], Options(keys, NOW_S))) == ["E_CHECKPOINT_MISSING"]
    verdicts = verify_paths([spool], Options(keys, NOW_S, require_checkpoint=False))
    assert verdicts[0].ok
    assert [w.code for w in verdicts[0].warnings] == ["W_CHECKPOINT_MISSING"]


def test_entries_after_the_last_seal_are_reported(captured: Path, key: SigningKey, keys: KeySet) -> None:
    lines = spool_lines(captured)
    token = sign_checkpoint(
        key,
        iss="https://agent.example.com",
        iat=NOW_S,
        sequence=2,
        head_digest=loads(lines[1])["entry_digest"],
        workflow=None,
    )
    (captured / "spool" / CHECKPOINT_FILE).write_text(token)
    verdict = verify_paths([captured / "spool" / "spool.jsonl"], Options(keys, NOW_S))[0]
    assert verdict.ok
    assert [w.code for w in verdict.warnings] == ["W_SPOOL_UNANCHORED_TAIL"]


def test_upstream_vectors_verify(keys: KeySet) -> None:
    paths = [
        VECTORS / "receipts",
        VECTORS / "receipts-jws",
        VECTORS / "wire02" / "receipts-jws",
        VECTORS / "spool",
    ]
    verdicts = verify_paths(paths, Options(keys, NOW_S, require_checkpoint=False))
    assert len(verdicts) == 10
    assert all(v.ok for v in verdicts)
    assert {v.wire for v in verdicts if v.kind == "receipt"} == {"0.1", "0.2"}


def test_a_spool_checkpoint_verifies_on_its_own(captured: Path, keys: KeySet) -> None:
    verdict = verify_paths([captured / "spool" / CHECKPOINT_FILE], Options(keys, NOW_S))[0]
    assert verdict.ok
    assert verdict.kind == "checkpoint"
    assert "3 entries" in (verdict.message or "")


def test_unknown_files_are_reported(tmp_path: Path, keys: KeySet) -> None:
    (tmp_path / "notes.jws").write_text("hello")
    verdict = verify_paths([tmp_path / "notes.jws"], Options(keys, NOW_S))[0]
    assert not verdict.ok
    assert verdict.code == "E_JWS_MALFORMED"
