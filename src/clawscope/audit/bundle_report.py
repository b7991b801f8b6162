"""The per-receipt part of a bundle verification report (PEAC `peac-verification-report/0.1`).

Each receipt of a bundle is checked by the full receipt verifier; the report records, as upstream
does, whether its signature and its claims are valid, which key signed it, and the auditor's
headline. Kept apart from `bundle.py`, which reads, checks and writes the archive itself.
"""

from __future__ import annotations

from typing import Any

from clawscope.audit.claims import check_receipt
from clawscope.audit.errors import AuditError
from clawscope.audit.jws import KeySet, SigningError, decode_compact
from clawscope.audit.receipts import TYP_WIRE01

WIRE02_TYPS = frozenset({"interaction-record+jwt", "application/interaction-record+jwt"})
# Receipt failures that mean "the signature could not be checked or is wrong" (vs. bad claims).
_SIGNATURE_CODES = frozenset(
    {
        "E_SIGNATURE_INVALID",
        "E_KEY_NOT_FOUND",
        "E_JWS_MALFORMED",
        "E_JWS_ALG",
        "E_JWS_TYP",
        "E_JWS_KID",
        "E_JWS_FORBIDDEN_HEADER",
        "E_IJSON_VIOLATION",
        "E_JWS_TOO_LARGE",
    }
)


def receipt_result(row: dict[str, Any], token: str, keys: KeySet, now_s: int) -> dict[str, Any]:
    kid = None
    try:
        kid = decode_compact(token, WIRE02_TYPS | {TYP_WIRE01}).kid
        info = check_receipt(token, keys, now_s)
    except (AuditError, SigningError) as exc:
        sig_ok = exc.code not in _SIGNATURE_CODES
        out = {"receipt_id": row["receipt_id"], "signature_valid": sig_ok, "claims_valid": False}
        return out | ({"key_id": kid} if kid else {}) | {"errors": [exc.code]}
    out = {"receipt_id": row["receipt_id"], "signature_valid": True, "claims_valid": True, "key_id": info.kid}
    return out | {"errors": [], "claims": info.claims}


def key_usage(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    usage: dict[str, list[str]] = {}
    for result in results:
        if result.get("key_id"):
            usage.setdefault(result["key_id"], []).append(result["receipt_id"])
    return [
        {"kid": kid, "receipts_signed": len(ids), "receipt_ids": sorted(ids)}
        for kid, ids in sorted(usage.items())
    ]


def summary_of(results: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    valid = sum(1 for r in results if r["signature_valid"] and r["claims_valid"] and not r["errors"])
    issues = sorted(
        f"Receipt {r['receipt_id']}: {', '.join(r['errors']) or 'validation failed'}"
        for r in results
        if not (r["signature_valid"] and r["claims_valid"])
    )
    invalid = len(results) - valid
    recommendation = "valid" if invalid == 0 else "invalid" if invalid == len(results) else "needs_review"
    summary = {"total_receipts": len(results), "valid": valid, "invalid": invalid}
    return summary, {
        "headline": f"{valid}/{len(results)} receipts valid",
        "issues": issues,
        "recommendation": recommendation,
    }
