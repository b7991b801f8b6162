"""Bundles: a pinned key makes a missing `bundle.sig` an error, and the signed payload states the
receipt count and range (issue 13, item 10).

The tampers are functions `() -> bytes` (a whole bundle), like the bundle tamper matrix, so the attack
tier can run them too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clawscope.audit.bundle import create_bundle, receipt_span, verify_bundle
from clawscope.audit.canonical import b64u_decode, loads
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.ziparchive import read_zip
from clawscope.cli import cli
from tests.audit.test_bundle import SPEC, new_receipts_file, repack, replace, wire02_tokens, with_manifest
from tests.support.vectors import NOW_MS, NOW_S, VECTORS

PUBLIC = VECTORS / "keys" / "public.jwk"


def signed_bundle() -> bytes:
    """A bundle made here (counted bundle.sig) from the vectors' three Wire 0.2 records."""
    from clawscope.audit.jws import load_signing_key

    key = load_signing_key(VECTORS / "keys" / "signing-key.TEST-ONLY.jwk")
    return create_bundle(wire02_tokens(), KeySet([key.public]), SPEC, NOW_S, key)


def _members(data: bytes) -> list[tuple[str, bytes]]:
    return list(read_zip(data).items())


def _drop_first_receipt(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Remove one receipt and recompute every hash, as a careful forger would."""
    lines = dict(files)["receipts.ndjson"].splitlines(keepends=True)
    ndjson = b"".join(lines[1:])

    def edit(manifest: dict[str, Any]) -> None:
        manifest["receipts"] = manifest["receipts"][1:]
        manifest["time_range"]["start"] = manifest["receipts"][0]["issued_at"]
        new_receipts_file(ndjson)(manifest)

    return with_manifest(replace(files, "receipts.ndjson", ndjson), edit)


def signature_removed() -> bytes:
    return repack([(n, d) for n, d in _members(signed_bundle()) if n != "bundle.sig"])


def receipt_removed_rehashed_unsigned() -> bytes:
    files = [(n, d) for n, d in _members(signed_bundle()) if n != "bundle.sig"]
    return repack(_drop_first_receipt(files))


def receipt_removed_rehashed_old_signature_kept() -> bytes:
    return repack(_drop_first_receipt(_members(signed_bundle())))


SPAN_TAMPERS = [
    (signature_removed, "E_BUNDLE_SIGNATURE_MISSING"),
    (receipt_removed_rehashed_unsigned, "E_BUNDLE_SIGNATURE_MISSING"),
    (receipt_removed_rehashed_old_signature_kept, "E_BUNDLE_SIGNATURE_INVALID"),
]


@pytest.mark.parametrize(("tamper", "code"), SPAN_TAMPERS, ids=[t.__name__ for t, _ in SPAN_TAMPERS])
def test_with_a_pinned_key_the_tamper_fails(tmp_path: Path, keys: KeySet, tamper: Any, code: str) -> None:
    data = tamper()
    assert verify_bundle(data, NOW_S, pinned=keys).code == code
    path = tmp_path / "x.peacbundle"
    path.write_bytes(data)
    args = ["receipts", "bundle", "verify", str(path), "--public-key", str(PUBLIC), "--now-ms", str(NOW_MS)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert code in result.output
    # The same bundle found while verifying a directory fails the same way (the key is pinned there).
    args = ["receipts", "verify", str(path), "--public-key", str(PUBLIC), "--now-ms", str(NOW_MS)]
    assert code in CliRunner().invoke(cli, args).output


def test_an_unsigned_bundle_without_a_pin_is_only_a_warning() -> None:
    result = verify_bundle(signature_removed(), NOW_S)
    assert result.code is None
    assert {w.code for w in result.warnings} == {"W_BUNDLE_KEYS_SELF_ASSERTED", "W_BUNDLE_NOT_SIGNED"}


def test_the_signed_payload_states_count_and_range(keys: KeySet) -> None:
    data = signed_bundle()
    _head, payload, _ = read_zip(data)["bundle.sig"].decode().split(".")
    claims = loads(b64u_decode(payload))
    manifest = loads(read_zip(data)["manifest.json"])
    rows = manifest["receipts"]
    assert claims["content_hash"] == manifest["content_hash"]  # what upstream reads is unchanged
    assert claims["receipts"] == {
        "count": 3,
        "first": {"receipt_id": rows[0]["receipt_id"], "issued_at": rows[0]["issued_at"]},
        "last": {"receipt_id": rows[-1]["receipt_id"], "issued_at": rows[-1]["issued_at"]},
    }
    result = verify_bundle(data, NOW_S, pinned=keys)
    assert result.code is None
    assert result.report["bundle_signature"]["receipts"]["count"] == 3


def test_a_signature_whose_stated_span_disagrees_is_invalid(key: SigningKey, keys: KeySet) -> None:
    # A signer that signs the right content_hash but a wrong count: the stated span is checked too.
    from clawscope.audit.jws import sign_compact
    from clawscope.audit.receipts import TYP_WIRE01, header

    files = _members(signed_bundle())
    manifest = loads(dict(files)["manifest.json"])
    span = receipt_span(manifest["receipts"]) | {"count": 2}
    sig = sign_compact(
        header(TYP_WIRE01, key.kid), {"content_hash": manifest["content_hash"], "receipts": span}, key
    )
    result = verify_bundle(repack(replace(files, "bundle.sig", sig.encode())), NOW_S, pinned=keys)
    assert result.code == "E_BUNDLE_SIGNATURE_INVALID"
    assert result.report["bundle_signature"]["error"] == "E_BUNDLE_SIGNATURE_CONTENT_MISMATCH"


def test_the_summary_names_the_signed_span(tmp_path: Path) -> None:
    path = tmp_path / "x.peacbundle"
    path.write_bytes(signed_bundle())
    args = ["receipts", "bundle", "verify", str(path), "--public-key", str(PUBLIC), "--now-ms", str(NOW_MS)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "bundle.sig: valid (signed for 3 receipts" in result.output
