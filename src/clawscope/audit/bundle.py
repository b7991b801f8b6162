"""`.peacbundle` dispute bundles: create and verify offline, compatible with PEAC `@peac/audit`.

Same files, manifest, hashes and report as upstream (`content_hash = sha256(JCS(manifest minus
content_hash))`, `report_hash = sha256(JCS(report minus report_hash))`, `bundle.sig` = a Wire 0.1
JWS over `{content_hash}`), so the vectors' `evidence.peacbundle` verifies with the same
`report_hash`, and a bundle made here from the same inputs is byte-identical.

Verification is stricter than upstream where upstream is silently lenient: every receipt goes
through the full receipt verifier (structure + evidence, not only the signature); the manifest's
receipt list must match `receipts.ndjson` entry for entry (hashes included); files not listed in
the manifest are refused; an invalid `bundle.sig` fails the bundle (upstream still says "valid");
and keys shipped inside a bundle are only self-asserted unless pinned with `--public-key`.

With a pinned key a bundle without `bundle.sig` is an error (`E_BUNDLE_SIGNATURE_MISSING`): anyone
can drop a receipt, recompute every hash and drop the signature. The signature made here also states,
in the signed payload itself, how many receipts the bundle holds and their range (first and last
receipt id and issue time), checked on verification; upstream reads only `content_hash` from it, and
`create_bundle(..., counted=False)` still writes upstream's exact bytes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from clawscope.audit.bundle_report import WIRE02_TYPS as _WIRE02_TYPS
from clawscope.audit.bundle_report import key_usage, receipt_result, summary_of
from clawscope.audit.canonical import CanonicalError, jcs, loads, stringify
from clawscope.audit.claims import check_receipt
from clawscope.audit.errors import AuditError, Code, Notice, WarningCode
from clawscope.audit.events import instant, iso_ms
from clawscope.audit.jws import KeySet, SigningError, SigningKey, decode_compact, sign_compact, verify_compact
from clawscope.audit.receipts import TYP_WIRE01, header
from clawscope.audit.ziparchive import read_zip, write_zip

BUNDLE_VERSION = "peac-bundle/0.1"
REPORT_VERSION = "peac-verification-report/0.1"
KINDS = ("dispute", "audit", "archive")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MANIFEST_KEYS = frozenset(
    {
        "version",
        "kind",
        "bundle_id",
        "refs",
        "dispute_ref",
        "created_by",
        "created_at",
        "time_range",
        "receipts",
        "keys",
        "files",
        "policy_hash",
        "peac_txt_hash",
        "content_hash",
    }
)


def sha256_ref(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def new_ulid(ms: int) -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32 (a bundle id)."""
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _receipt_row(token: str) -> dict[str, Any]:
    try:
        claims = decode_compact(token, _WIRE02_TYPS | {TYP_WIRE01, None}).payload
    except SigningError as exc:
        raise AuditError(Code.BUNDLE_RECEIPT_INVALID, f"not a JWS receipt: {exc}") from None
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise AuditError(
            Code.BUNDLE_RECEIPT_INVALID,
            "missing jti claim: bundles hold Wire 0.2 records (wire02/receipts-jws), not Wire 0.1 receipts",
        )
    if not isinstance(claims.get("iat"), int) or isinstance(claims["iat"], bool):
        raise AuditError(Code.BUNDLE_RECEIPT_INVALID, f"{claims['jti']}: missing or invalid iat")
    return {
        "receipt_id": claims["jti"],
        "issued_at": iso_ms(claims["iat"] * 1000),
        "receipt_hash": sha256_ref(token.encode()),
    }


def _sort_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["issued_at"], row["receipt_id"], row["receipt_hash"]


@dataclass(frozen=True)
class BundleSpec:
    """What goes into a bundle besides the receipts (all deterministic when given)."""

    bundle_id: str
    created_at: str
    created_by: str
    kind: str = "dispute"
    dispute_ref: str | None = None
    refs: list[dict[str, str]] | None = None
    policy: str | None = None


def receipt_span(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the signed payload states about the receipts: their count and range, in bundle order."""
    if not rows:
        return {"count": 0}
    first, last = rows[0], rows[-1]
    return {
        "count": len(rows),
        "first": {"receipt_id": first["receipt_id"], "issued_at": first["issued_at"]},
        "last": {"receipt_id": last["receipt_id"], "issued_at": last["issued_at"]},
    }


def create_bundle(
    tokens: list[str],
    keys: KeySet,
    spec: BundleSpec,
    now_s: int,
    signer: SigningKey | None,
    *,
    counted: bool = True,
) -> bytes:
    """Build a `.peacbundle`; every receipt must verify with `keys` first (no invalid evidence bundled)."""
    if not tokens:
        raise AuditError(Code.BUNDLE_MISSING_RECEIPTS, "no receipts to bundle")
    if spec.kind not in KINDS:
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, f"kind must be one of {', '.join(KINDS)}")
    created = instant(spec.created_at)
    if created is None:
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, "created_at must be an RFC 3339 timestamp")
    rows = [_receipt_row(t) for t in tokens]
    for token, row in zip(tokens, rows, strict=True):
        try:
            check_receipt(token, keys, now_s)
        except AuditError as exc:
            raise AuditError(Code.BUNDLE_RECEIPT_INVALID, f"{row['receipt_id']}: {exc}") from None
    if len({r["receipt_id"] for r in rows}) != len(rows):
        raise AuditError(Code.BUNDLE_DUPLICATE_RECEIPT, "the same receipt id appears twice")
    order = sorted(range(len(rows)), key=lambda i: _sort_key(rows[i]))
    contents = [
        ("receipts.ndjson", "".join(tokens[i] + "\n" for i in order).encode("utf-8")),
        ("keys/keys.json", stringify(keys.jwks(), 2).encode("utf-8")),
    ]
    if spec.policy is not None:
        contents.append(("policy/policy.yaml", spec.policy.encode("utf-8")))
    manifest = _new_manifest(spec, [rows[i] for i in order], keys, contents)
    members = [("manifest.json", stringify(manifest, 2).encode("utf-8")), *contents]
    if signer is not None:
        payload: dict[str, Any] = {"content_hash": manifest["content_hash"]}
        if counted:
            payload["receipts"] = receipt_span(manifest["receipts"])
        sig = sign_compact(header(TYP_WIRE01, signer.kid), payload, signer)
        members.append(("bundle.sig", sig.encode("ascii")))
    return write_zip(members, int(created))


def _new_manifest(
    spec: BundleSpec, rows: list[dict[str, Any]], keys: KeySet, contents: list[tuple[str, bytes]]
) -> dict[str, Any]:
    """The manifest, member by member in PEAC's order, sealed with its `content_hash`."""
    files: list[dict[str, Any]] = [{"path": n, "sha256": sha256_ref(d), "size": len(d)} for n, d in contents]
    files.sort(key=lambda f: str(f["path"]))
    issued = sorted(r["issued_at"] for r in rows)
    refs = spec.refs
    if refs is None:
        refs = [{"type": "dispute", "id": spec.dispute_ref}] if spec.dispute_ref else []
    manifest: dict[str, Any] = {"version": BUNDLE_VERSION, "kind": spec.kind, "bundle_id": spec.bundle_id}
    manifest["refs"] = refs
    if spec.dispute_ref is not None:
        manifest["dispute_ref"] = spec.dispute_ref
    manifest["created_by"] = spec.created_by
    manifest["created_at"] = spec.created_at
    manifest["time_range"] = {"start": issued[0], "end": issued[-1]}
    manifest["receipts"] = rows
    manifest["keys"] = sorted(
        ({"kid": k.kid, "alg": "EdDSA"} for k in keys.keys.values()), key=lambda k: k["kid"]
    )
    manifest["files"] = files
    if spec.policy is not None:
        manifest["policy_hash"] = next(f["sha256"] for f in files if f["path"] == "policy/policy.yaml")
    manifest["content_hash"] = sha256_ref(jcs(manifest))
    return manifest


# -- reading and verifying ----------------------------------------------------------------------


@dataclass
class BundleReport:
    """The PEAC verification report plus clawscope's verdict (first failing code) and warnings."""

    report: dict[str, Any]
    code: str | None = None
    message: str | None = None
    warnings: list[Notice] = field(default_factory=list)


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    if "manifest.json" not in files:
        raise AuditError(Code.BUNDLE_MANIFEST_MISSING, "manifest.json not found in bundle")
    try:
        manifest = loads(files["manifest.json"], strict=True)
    except CanonicalError as exc:
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, f"manifest.json: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("version") != BUNDLE_VERSION:
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, f"manifest version must be {BUNDLE_VERSION}")
    if (
        set(manifest) - _MANIFEST_KEYS
        or not all(isinstance(manifest.get(k), list) for k in ("refs", "receipts", "keys", "files"))
        or manifest.get("kind") not in KINDS
    ):
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, "manifest has unknown members or wrong types")
    body = {k: v for k, v in manifest.items() if k != "content_hash"}
    if sha256_ref(jcs(body)) != manifest.get("content_hash"):
        raise AuditError(
            Code.BUNDLE_HASH_MISMATCH, "manifest content_hash does not match: the manifest was edited"
        )
    return manifest


def _check_files(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    listed = {}
    for item in manifest["files"]:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise AuditError(Code.BUNDLE_MANIFEST_INVALID, "manifest files entries need a path")
        listed[item["path"]] = item
        data = files.get(item["path"])
        if data is None:
            raise AuditError(Code.BUNDLE_FILE_MISMATCH, f"listed file missing: {item['path']}")
        if sha256_ref(data) != item.get("sha256") or len(data) != item.get("size"):
            raise AuditError(
                Code.BUNDLE_FILE_MISMATCH, f"file hash or size mismatch: {item['path']} was edited"
            )
    unlisted = set(files) - set(listed) - {"manifest.json", "bundle.sig"}
    if unlisted:
        raise AuditError(Code.BUNDLE_UNLISTED_FILE, f"files not covered by the manifest: {sorted(unlisted)}")
    for key, path in (("policy_hash", "policy/policy.yaml"), ("peac_txt_hash", "policy/peac.txt")):
        if key in manifest and (path not in files or sha256_ref(files[path]) != manifest[key]):
            raise AuditError(Code.BUNDLE_POLICY_HASH_MISMATCH, f"{key} does not match {path}")


def _receipts(manifest: dict[str, Any], files: dict[str, bytes]) -> list[tuple[dict[str, Any], str]]:
    text = files.get("receipts.ndjson", b"").decode("utf-8", "replace")
    lines = text.split("\n")
    if lines[-1] != "" or "" in lines[:-1]:
        raise AuditError(
            Code.BUNDLE_INVALID_FORMAT, "receipts.ndjson must be one JWS per line, newline-terminated"
        )
    rows = [(_receipt_row(line), line) for line in lines[:-1]]
    ids = [row["receipt_id"] for row, _ in rows]
    if len(set(ids)) != len(ids):
        raise AuditError(Code.BUNDLE_DUPLICATE_RECEIPT, "a receipt id appears twice in receipts.ndjson")
    keys = [_sort_key(row) for row, _ in rows]
    if keys != sorted(keys):
        raise AuditError(Code.BUNDLE_RECEIPTS_UNORDERED, "receipts.ndjson is not in deterministic order")
    if [row for row, _ in rows] != manifest["receipts"]:
        raise AuditError(Code.BUNDLE_RECEIPT_LIST_MISMATCH, "manifest receipts differ from receipts.ndjson")
    issued = [row["issued_at"] for row, _ in rows]
    if rows and manifest.get("time_range") != {"start": min(issued), "end": max(issued)}:
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, "time_range does not span the receipts")
    return rows


def _bundle_keys(manifest: dict[str, Any], files: dict[str, bytes]) -> KeySet:
    try:
        keys = KeySet.from_json(
            loads(files.get("keys/keys.json", b'{"keys":[]}'), strict=True), "keys/keys.json"
        )
    except (SigningError, CanonicalError) as exc:
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, f"keys/keys.json: {exc}") from None
    listed = sorted(({"kid": k.kid, "alg": "EdDSA"} for k in keys.keys.values()), key=lambda k: k["kid"])
    if [{"kid": k.get("kid"), "alg": k.get("alg", "EdDSA")} for k in manifest["keys"]] != listed:
        raise AuditError(Code.BUNDLE_MANIFEST_INVALID, "manifest keys differ from keys/keys.json")
    return keys


def _bundle_signature(
    sig: bytes | None, keys: KeySet, content_hash: str, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    if sig is None:
        return {"present": False}
    try:
        jws = decode_compact(sig.decode("utf-8", "replace").strip(), frozenset({TYP_WIRE01}))
    except SigningError:
        return {"present": True, "valid": False, "error": "E_BUNDLE_SIGNATURE_INVALID_FORMAT"}
    try:
        verify_compact(jws, keys)
    except SigningError as exc:
        code = "E_BUNDLE_KEY_MISSING" if exc.code == "E_KEY_NOT_FOUND" else "E_BUNDLE_SIGNATURE_INVALID"
        return {"present": True, "valid": False, "key_id": jws.kid, "error": code}
    expected: dict[str, Any] = {"content_hash": content_hash}
    if "receipts" in jws.payload:
        expected["receipts"] = receipt_span(rows)
    if jws.payload != expected:
        return {
            "present": True,
            "valid": False,
            "key_id": jws.kid,
            "error": "E_BUNDLE_SIGNATURE_CONTENT_MISMATCH",
        }
    out: dict[str, Any] = {"present": True, "valid": True, "key_id": jws.kid}
    return out | ({"receipts": expected["receipts"]} if "receipts" in expected else {})


def verify_bundle(data: bytes, now_s: int, pinned: KeySet | None = None) -> BundleReport:
    """Verify a bundle offline with only its own keys (optionally pinned); never raises for bad bundles."""
    try:
        files = read_zip(data)
        manifest = _manifest(files)
        _check_files(manifest, files)
        rows = _receipts(manifest, files)
        keys = _bundle_keys(manifest, files)
    except AuditError as exc:
        return BundleReport({}, exc.code, str(exc.args[0]))
    signature = _bundle_signature(
        files.get("bundle.sig"), keys, manifest["content_hash"], [row for row, _ in rows]
    )
    results = sorted(
        (receipt_result(row, token, keys, now_s) for row, token in rows), key=lambda r: r["receipt_id"]
    )
    summary, auditor = summary_of(results)
    report: dict[str, Any] = {"version": REPORT_VERSION, "bundle_content_hash": manifest["content_hash"]}
    report |= {"bundle_signature": signature, "summary": summary, "receipts": results}
    report |= {"keys_used": key_usage(results), "auditor_summary": auditor}
    report["report_hash"] = sha256_ref(jcs(report))
    out = BundleReport(report)
    if signature.get("present") and not signature.get("valid"):
        out.code, out.message = Code.BUNDLE_SIGNATURE_INVALID.value, f"bundle.sig: {signature.get('error')}"
    elif auditor["recommendation"] != "valid":
        out.code, out.message = Code.BUNDLE_RECEIPT_INVALID.value, "; ".join(auditor["issues"])
    elif pinned is not None and not signature.get("present"):
        out.code = Code.BUNDLE_SIGNATURE_MISSING.value
        out.message = "no bundle.sig: with a pinned key a bundle must be signed (receipts could be dropped)"
    elif pinned is not None:
        _check_pinned(out, keys, pinned, [r["key_id"] for r in results] + [signature.get("key_id")])
    else:
        why = "keys come from the bundle itself; pass --public-key to pin the issuer's key"
        out.warnings.append(Notice(WarningCode.BUNDLE_KEYS_SELF_ASSERTED, why))
    if not signature.get("present"):
        out.warnings.append(Notice(WarningCode.BUNDLE_NOT_SIGNED, "the bundle has no bundle.sig"))
    return out


def _check_pinned(out: BundleReport, keys: KeySet, pinned: KeySet, used: list[Any]) -> None:
    for kid in {k for k in used if isinstance(k, str)}:
        trusted = pinned.keys.get(kid)
        if trusted is None or trusted.raw != keys.keys[kid].raw:
            out.code = Code.BUNDLE_KEY_UNTRUSTED.value
            out.message = f"key {kid} in the bundle is not one of the pinned public keys"
            return
