"""`.peacbundle`: byte-identical creation, the upstream report, and the bundle tamper matrix."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clawscope.audit.bundle import BundleSpec, create_bundle, new_ulid, sha256_ref, verify_bundle
from clawscope.audit.canonical import b64u_encode, jcs, loads, stringify
from clawscope.audit.errors import AuditError
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.ziparchive import read_zip, safe_name, write_zip
from clawscope.cli import cli
from tests.support.vectors import NOW_MS, NOW_S, VECTORS, expected_json

BUNDLE = VECTORS / "wire02" / "evidence.peacbundle"
SPEC = BundleSpec(
    "01KF0000000000000000000001",
    "2026-01-15T12:00:00.000Z",
    "https://auditor.example.com",
    dispute_ref="01KF0000000000000000000000",
)


def wire02_tokens() -> list[str]:
    return [p.read_text().strip() for p in sorted((VECTORS / "wire02" / "receipts-jws").glob("*.jws"))]


def test_the_upstream_bundle_verifies_with_the_same_report(keys: KeySet) -> None:
    result = verify_bundle(BUNDLE.read_bytes(), NOW_S)
    assert result.code is None
    assert result.report == expected_json("wire02", "expected", "bundle-verification-report.json")
    assert [w.code for w in result.warnings] == ["W_BUNDLE_KEYS_SELF_ASSERTED"]
    pinned = verify_bundle(BUNDLE.read_bytes(), NOW_S, pinned=keys)
    assert pinned.code is None
    assert pinned.warnings == []


def test_creation_is_byte_identical_to_upstream(key: SigningKey, keys: KeySet) -> None:
    data = create_bundle(wire02_tokens(), keys, SPEC, NOW_S, key, counted=False)  # upstream's bundle.sig
    assert data == BUNDLE.read_bytes()
    manifest = json.loads(read_zip(data)["manifest.json"])
    assert manifest == expected_json("wire02", "expected", "bundle-manifest.json")
    assert manifest["content_hash"] == sha256_ref(
        jcs({k: v for k, v in manifest.items() if k != "content_hash"})
    )


def test_wire01_receipts_cannot_be_bundled(key: SigningKey, keys: KeySet) -> None:
    tokens = [p.read_text().strip() for p in sorted((VECTORS / "receipts-jws").glob("*.jws"))]
    with pytest.raises(AuditError) as exc:
        create_bundle(tokens, keys, SPEC, NOW_S, key)
    assert exc.value.code == "E_BUNDLE_RECEIPT_INVALID"
    assert "missing jti" in exc.value.args[0]


def test_invalid_receipts_are_refused_at_creation(key: SigningKey, keys: KeySet) -> None:
    tokens = wire02_tokens()
    head, payload, sig = tokens[0].split(".")
    tokens[0] = f"{head}.{payload}.{sig[:-4]}AAAA"
    with pytest.raises(AuditError) as exc:
        create_bundle(tokens, keys, SPEC, NOW_S, key)
    assert exc.value.code == "E_BUNDLE_RECEIPT_INVALID"
    assert "E_SIGNATURE_INVALID" in exc.value.args[0]
    with pytest.raises(AuditError) as exc:
        create_bundle([], keys, SPEC, NOW_S, key)
    assert exc.value.code == "E_BUNDLE_MISSING_RECEIPTS"


def test_ulids() -> None:
    ulid = new_ulid(NOW_MS)
    assert len(ulid) == 26
    assert ulid.startswith("01KF0")
    assert ulid != new_ulid(NOW_MS)


# -- tamper matrix -------------------------------------------------------------------------------


def members() -> list[tuple[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(BUNDLE.read_bytes()))
    return [(name, archive.read(name)) for name in archive.namelist()]


def repack(files: list[tuple[str, bytes]]) -> bytes:
    return write_zip(files, NOW_S)


def with_manifest(
    files: list[tuple[str, bytes]], edit: Callable[[dict[str, Any]], None]
) -> list[tuple[str, bytes]]:
    """Edit the manifest and recompute its content_hash, as a careful forger would."""
    manifest = loads(dict(files)["manifest.json"])
    edit(manifest)
    manifest.pop("content_hash")
    manifest["content_hash"] = sha256_ref(jcs(manifest))
    return [(n, stringify(manifest, 2).encode() if n == "manifest.json" else d) for n, d in files]


def replace(files: list[tuple[str, bytes]], name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [(n, data if n == name else d) for n, d in files]


def new_receipts_file(ndjson: bytes) -> Callable[[dict[str, Any]], None]:
    """A manifest edit that re-lists a replaced receipts.ndjson with its new hash and size."""

    def edit(manifest: dict[str, Any]) -> None:
        for item in manifest["files"]:
            if item["path"] == "receipts.ndjson":
                item.update(sha256=sha256_ref(ndjson), size=len(ndjson))

    return edit


def edited_receipts_file() -> bytes:
    files = members()
    ndjson = dict(files)["receipts.ndjson"].replace(b"e", b"f", 1)
    return repack(replace(files, "receipts.ndjson", ndjson))


def edited_manifest() -> bytes:
    files = members()
    text = dict(files)["manifest.json"].replace(
        b"https://auditor.example.com", b"https://someone.example.com"
    )
    return repack(replace(files, "manifest.json", text))


def edited_manifest_rehashed() -> bytes:
    return repack(with_manifest(members(), lambda m: m.update(created_by="https://someone.example.com")))


def flipped_bundle_sig() -> bytes:
    files = members()
    sig = bytearray(dict(files)["bundle.sig"])
    sig[-5] = ord("A") if sig[-5] != ord("A") else ord("B")
    return repack(replace(files, "bundle.sig", bytes(sig)))


def path_traversal() -> bytes:
    return repack([*members(), ("../../etc/cron.d/x", b"boom")])


def unlisted_file() -> bytes:
    return repack([*members(), ("policy/extra.txt", b"not in the manifest")])


def reordered_receipts() -> bytes:
    files = [(n, d) for n, d in members() if n != "bundle.sig"]
    lines = dict(files)["receipts.ndjson"].splitlines(keepends=True)
    ndjson = b"".join([lines[1], lines[0], lines[2]])
    return repack(with_manifest(replace(files, "receipts.ndjson", ndjson), new_receipts_file(ndjson)))


def receipt_list_mismatch() -> bytes:
    files = [(n, d) for n, d in members() if n != "bundle.sig"]
    return repack(with_manifest(files, lambda m: m["receipts"][0].update(receipt_hash="sha256:" + "0" * 64)))


def duplicated_receipt() -> bytes:
    files = [(n, d) for n, d in members() if n != "bundle.sig"]
    lines = dict(files)["receipts.ndjson"].splitlines(keepends=True)
    ndjson = b"".join([lines[0], lines[0], lines[1], lines[2]])
    return repack(with_manifest(replace(files, "receipts.ndjson", ndjson), new_receipts_file(ndjson)))


def forged_receipt_with_attacker_keys() -> bytes:
    attacker = SigningKey.from_seed(b"\x05" * 32, kid="k_560d1e49")  # same kid, different key
    tokens = []
    for token in wire02_tokens():
        head, payload, _ = token.split(".")
        tokens.append(f"{head}.{payload}.{b64u_encode(attacker.sign(f'{head}.{payload}'.encode()))}")
    return create_bundle(tokens, KeySet([attacker.public]), SPEC, NOW_S, attacker)


def not_a_zip() -> bytes:
    return b"PK\x03\x04 certainly not a zip"


def manifest_missing() -> bytes:
    return repack([(n, d) for n, d in members() if n != "manifest.json"])


BUNDLE_MATRIX: list[tuple[Callable[[], bytes], str]] = [
    (edited_receipts_file, "E_BUNDLE_FILE_MISMATCH"),
    (edited_manifest, "E_BUNDLE_HASH_MISMATCH"),
    (edited_manifest_rehashed, "E_BUNDLE_SIGNATURE_INVALID"),
    (flipped_bundle_sig, "E_BUNDLE_SIGNATURE_INVALID"),
    (path_traversal, "E_BUNDLE_PATH_TRAVERSAL"),
    (unlisted_file, "E_BUNDLE_UNLISTED_FILE"),
    (reordered_receipts, "E_BUNDLE_RECEIPTS_UNORDERED"),
    (receipt_list_mismatch, "E_BUNDLE_RECEIPT_LIST_MISMATCH"),
    (duplicated_receipt, "E_BUNDLE_DUPLICATE_RECEIPT"),
    (forged_receipt_with_attacker_keys, "E_BUNDLE_KEY_UNTRUSTED"),
    (not_a_zip, "E_BUNDLE_INVALID_FORMAT"),
    (manifest_missing, "E_BUNDLE_MANIFEST_MISSING"),
]


@pytest.mark.parametrize(("tamper", "code"), BUNDLE_MATRIX, ids=[t.__name__ for t, _ in BUNDLE_MATRIX])
def test_bundle_tamper_is_rejected(
    tmp_path: Path, keys: KeySet, tamper: Callable[[], bytes], code: str
) -> None:
    data = tamper()
    assert verify_bundle(data, NOW_S, pinned=keys).code == code
    path = tmp_path / "x.peacbundle"
    path.write_bytes(data)
    args = [
        "receipts",
        "bundle",
        "verify",
        str(path),
        "--offline",
        "--public-key",
        str(VECTORS / "keys" / "public.jwk"),
        "--now-ms",
        str(NOW_MS),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert code in result.output


def test_a_forged_bundle_is_self_consistent_without_pinning() -> None:
    # Keys shipped inside a bundle only prove internal consistency: that is why pinning exists.
    result = verify_bundle(forged_receipt_with_attacker_keys(), NOW_S)
    assert result.code is None
    assert [w.code for w in result.warnings] == ["W_BUNDLE_KEYS_SELF_ASSERTED"]


def test_one_bad_receipt_fails_the_bundle_and_is_named_in_the_report(key: SigningKey, keys: KeySet) -> None:
    files = [(n, d) for n, d in members() if n != "bundle.sig"]
    lines = dict(files)["receipts.ndjson"].splitlines(keepends=True)
    head, payload, _ = lines[0].decode().strip().split(".")
    lines[0] = f"{head}.{payload}.{'A' * 86}\n".encode()
    ndjson = b"".join(lines)
    rows = [dict(r) for r in loads(dict(files)["manifest.json"])["receipts"]]
    rows[0]["receipt_hash"] = sha256_ref(lines[0].strip())

    def fix(manifest: dict[str, Any]) -> None:
        manifest["receipts"] = rows
        new_receipts_file(ndjson)(manifest)

    result = verify_bundle(
        repack(with_manifest(replace(files, "receipts.ndjson", ndjson), fix)), NOW_S, pinned=keys
    )
    assert result.code == "E_BUNDLE_RECEIPT_INVALID"
    assert result.report["auditor_summary"]["recommendation"] == "needs_review"
    bad = result.report["receipts"][0]
    assert bad["signature_valid"] is False
    assert bad["errors"] == ["E_SIGNATURE_INVALID"]
    assert "claims" not in bad


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("manifest.json", True),
        ("keys/keys.json", True),
        ("policy/policy.yaml", True),
        ("../x", False),
        ("/etc/passwd", False),
        ("keys/../../x", False),
        ("a\\b", False),
        ("receipts.ndjson\0", False),
        ("x.txt", False),
        ("keys/./k.json", False),
    ],
)
def test_zip_entry_names(name: str, ok: bool) -> None:
    assert safe_name(name) is ok
