"""Strict verification of ONE receipt token: signature, then structure, then evidence.

Order matters for honest error codes: the JWS is parsed and checked structurally first
(`clawscope.audit.jws`), then the signature (so an edited payload is reported as
`E_SIGNATURE_INVALID`, exactly what `peac verify` says), then the claims of its wire version, then
the InteractionEvidence inside, then time. Upstream's adapter tool reported tampered receipts as
valid because it ignored the signature result; here every step raises.

Wire 0.1 receipts must have exactly the adapter's shape (`iss, iat, rid, evidence, aud?`); Wire 0.2
records must satisfy PEAC's strict `Wire02ClaimsSchema` and be interaction records
(`type: org.peacprotocol/interaction`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clawscope.audit.errors import AuditError, Code, Notice, WarningCode
from clawscope.audit.events import instant
from clawscope.audit.evidence import validate_evidence
from clawscope.audit.jws import KeySet, SigningError, decode_compact, verify_compact
from clawscope.audit.receipts import (
    EXT_WIRE01,
    EXT_WIRE02,
    RECEIPT_TYPS,
    TYP_WIRE01,
    WIRE02_TYPE,
)

IAT_SKEW_S = 300
_RID = re.compile(r"r_[0-9a-f]{32}")
_HTTPS_ORIGIN = re.compile(
    r"https://([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::([1-9][0-9]{0,4}))?"
)
_DID = re.compile(r"did:[a-z0-9]+:[^#?/]+")
_EXT_GROUP = re.compile(r"[a-z0-9](?:[a-z0-9-]*)(?:\.[a-z0-9-]+)+/[a-z0-9][a-z0-9_-]*")
_SHA256_REF = re.compile(r"sha256:[0-9a-f]{64}")
_PILLARS = (
    "access",
    "attribution",
    "commerce",
    "compliance",
    "consent",
    "identity",
    "privacy",
    "provenance",
    "purpose",
    "safety",
)
_WIRE01_KEYS = {"iss", "iat", "rid", "evidence", "aud"}
_WIRE02_KEYS = {
    "peac_version",
    "kind",
    "type",
    "iss",
    "iat",
    "jti",
    "sub",
    "pillars",
    "actor",
    "policy",
    "representation",
    "occurred_at",
    "purpose_declared",
    "extensions",
}


@dataclass(frozen=True)
class ReceiptInfo:
    """A receipt that passed every check."""

    wire: str  # "0.1" or "0.2"
    rid: str
    kid: str
    iss: str
    iat: int
    claims: dict[str, Any]
    evidence: dict[str, Any]
    warnings: list[Notice] = field(default_factory=list)


def canonical_issuer(iss: Any) -> bool:
    """A canonical https origin (lowercase, no path, no default port) or a `did:` identifier."""
    if not isinstance(iss, str) or not 0 < len(iss) <= 2048:
        return False
    if iss.startswith("did:"):
        return bool(_DID.fullmatch(iss))
    m = _HTTPS_ORIGIN.fullmatch(iss)
    if m is None:
        return False
    port = m.group(2)
    return port is None or (port != "443" and int(port) <= 65535)


def check_receipt(token: str, keys: KeySet, now_s: int) -> ReceiptInfo:
    """Verify one compact JWS receipt completely; raises AuditError with the failing check's code."""
    try:
        jws = decode_compact(token, RECEIPT_TYPS)
        key = verify_compact(jws, keys)
    except SigningError as exc:
        raise AuditError(exc.code, exc.args[0]) from None
    claims = jws.payload
    wire01 = jws.header["typ"] == TYP_WIRE01
    if wire01 == (claims.get("peac_version") == "0.2"):
        raise AuditError(
            Code.WIRE_MISMATCH,
            f"typ {jws.header['typ']!r} does not match peac_version {claims.get('peac_version')!r}",
        )
    warnings: list[Notice] = []
    rid, evidence = _wire01(claims, warnings) if wire01 else _wire02(claims)
    errors, ev_warnings = validate_evidence(evidence)
    if errors:
        first = errors[0]
        raise AuditError(Code.EVIDENCE_INVALID, f"{first.code}: {first.message}")
    if claims["iat"] > now_s + IAT_SKEW_S:
        raise AuditError(Code.IAT_IN_FUTURE, f"iat {claims['iat']} is more than {IAT_SKEW_S}s in the future")
    occurred = instant(claims.get("occurred_at"))
    if occurred is not None and occurred > now_s + IAT_SKEW_S:
        raise AuditError(Code.OCCURRED_AT_IN_FUTURE, f"occurred_at {claims['occurred_at']} is in the future")
    return ReceiptInfo(
        "0.1" if wire01 else "0.2",
        rid,
        key.kid,
        claims["iss"],
        claims["iat"],
        claims,
        evidence,
        warnings + ev_warnings,
    )


def _bad(message: str) -> AuditError:
    return AuditError(Code.CLAIMS_INVALID, message)


def _iat(claims: dict[str, Any]) -> None:
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool) or iat < 0:
        raise _bad("iat must be a non-negative integer (seconds)")


def _wire01(claims: dict[str, Any], warnings: list[Notice]) -> tuple[str, dict[str, Any]]:
    unknown = set(claims) - _WIRE01_KEYS
    if unknown:
        raise _bad(f"unknown claim(s) {sorted(unknown)} in a Wire 0.1 receipt")
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise _bad("iss is required")
    if not canonical_issuer(iss):
        warnings.append(
            Notice(WarningCode.ISSUER_NOT_CANONICAL, f"iss {iss!r} is not a canonical origin", "iss")
        )
    _iat(claims)
    rid = claims.get("rid")
    if not isinstance(rid, str) or not _RID.fullmatch(rid):
        raise _bad("rid must be r_ followed by 32 lowercase hex digits")
    if "aud" in claims and not isinstance(claims["aud"], str):
        raise _bad("aud must be a string")
    ev = claims.get("evidence")
    ext = ev.get("extensions") if isinstance(ev, dict) and set(ev) == {"extensions"} else None
    if not isinstance(ext, dict) or set(ext) != {EXT_WIRE01}:
        raise _bad(f"evidence must be exactly {{extensions: {{{EXT_WIRE01}: …}}}}")
    return rid, ext[EXT_WIRE01]


def _wire02(claims: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    unknown = set(claims) - _WIRE02_KEYS
    if unknown:
        raise _bad(f"unknown claim(s) {sorted(unknown)} in a Wire 0.2 record")
    if claims.get("kind") != "evidence" or claims.get("type") != WIRE02_TYPE:
        raise _bad(f"not an interaction record (kind evidence, type {WIRE02_TYPE})")
    if not canonical_issuer(claims.get("iss")):
        raise _bad("iss must be a canonical https origin or a did: identifier")
    _iat(claims)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 256:
        raise _bad("jti must be a string of 1 to 256 characters")
    if "occurred_at" in claims and instant(claims["occurred_at"]) is None:
        raise _bad("occurred_at must be an RFC 3339 timestamp")
    if "sub" in claims and (not isinstance(claims["sub"], str) or len(claims["sub"]) > 2048):
        raise _bad("sub must be a string of at most 2048 characters")
    if "purpose_declared" in claims and (
        not isinstance(claims["purpose_declared"], str) or len(claims["purpose_declared"]) > 256
    ):
        raise _bad("purpose_declared must be a string of at most 256 characters")
    pillars = claims.get("pillars", ["access"])
    if (
        not isinstance(pillars, list)
        or not pillars
        or pillars != sorted(set(pillars))
        or set(pillars) - set(_PILLARS)
    ):
        raise _bad("pillars must be a non-empty, sorted, duplicate-free list of registered pillars")
    policy = claims.get("policy", {"digest": "sha256:" + "0" * 64})
    if not isinstance(policy, dict) or not _SHA256_REF.fullmatch(str(policy.get("digest"))):
        raise _bad("policy.digest must be sha256:<64 hex>")
    for name in ("actor", "representation"):
        if name in claims and not isinstance(claims[name], dict):
            raise _bad(f"{name} must be an object")
    ext = claims.get("extensions")
    if not isinstance(ext, dict) or not isinstance(ext.get(EXT_WIRE02), dict):
        raise _bad(f"extensions must hold the {EXT_WIRE02} evidence")
    for key in ext:
        if not _EXT_GROUP.fullmatch(key):
            raise _bad(f"extension key {key!r} is not <domain>/<segment>")
    return jti, ext[EXT_WIRE02]
