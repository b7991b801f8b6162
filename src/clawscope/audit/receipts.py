"""Signed receipts of spool entries, in both PEAC wire formats, and the files they are written to.

* Wire 0.1 — exactly what `@peac/adapter-openclaw` emits: header `{typ:"peac-receipt/0.1",
  alg:"EdDSA", kid}`, payload `{iss, iat, rid, evidence:{extensions:{"…/interaction@0.1": ev}},
  aud?}`, `rid = "r_" + entry_digest[:32]`. Byte-identical to the vectors.
* Wire 0.2 — the same evidence as an `interaction-record+jwt` with `jti = rid` and
  `occurred_at = captured_at`: the format the current `peac verify` and bundle tools accept.

Files: `<rid>.peac.json` = `JSON.stringify({auth, evidence, _jws}, null, 2)` without a trailing
newline (the adapter's writer), and bare `<rid>.jws` files ending in a newline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clawscope.audit.canonical import stringify
from clawscope.audit.evidence import to_evidence
from clawscope.audit.jws import ALG, SigningKey, sign_compact
from clawscope.audit.layout import Layout, atomic_write
from clawscope.audit.spool import rid_of

TYP_WIRE01 = "peac-receipt/0.1"
TYP_WIRE02 = "interaction-record+jwt"
TYP_WIRE02_MEDIA = "application/interaction-record+jwt"
RECEIPT_TYPS: frozenset[str | None] = frozenset({TYP_WIRE01, TYP_WIRE02, TYP_WIRE02_MEDIA})
EXT_WIRE01 = "org.peacprotocol/interaction@0.1"
EXT_WIRE02 = "org.peacprotocol/interaction"
WIRE02_TYPE = "org.peacprotocol/interaction"


@dataclass(frozen=True)
class Issuer:
    """Who signs: the key, the `iss` claim and the optional `aud` claim (Wire 0.1 only)."""

    key: SigningKey
    iss: str
    aud: str | None = None


@dataclass(frozen=True)
class SignedReceipt:
    """Both wire forms of the receipt of one spool entry."""

    rid: str
    interaction_id: str
    entry_digest: str
    wire01: str
    wire02: str
    wire01_payload: dict[str, Any]


def wire01_payload(evidence: dict[str, Any], rid: str, iss: str, iat: int, aud: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "iss": iss,
        "iat": iat,
        "rid": rid,
        "evidence": {"extensions": {EXT_WIRE01: evidence}},
    }
    if aud:
        payload["aud"] = aud  # appended last, as the adapter does
    return payload


def wire02_payload(
    evidence: dict[str, Any], rid: str, iss: str, iat: int, occurred_at: str
) -> dict[str, Any]:
    return {
        "peac_version": "0.2",
        "kind": "evidence",
        "type": WIRE02_TYPE,
        "iss": iss,
        "iat": iat,
        "jti": rid,
        "occurred_at": occurred_at,
        "extensions": {EXT_WIRE02: evidence},
    }


def header(typ: str, kid: str) -> dict[str, Any]:
    return {"typ": typ, "alg": ALG, "kid": kid}


def sign_entry(entry: dict[str, Any], issuer: Issuer, iat: int) -> SignedReceipt:
    """Sign both receipts of a spool entry (`iat` in seconds, from the injected clock)."""
    evidence = to_evidence(entry)
    rid = rid_of(entry["entry_digest"])
    p01 = wire01_payload(evidence, rid, issuer.iss, iat, issuer.aud)
    p02 = wire02_payload(evidence, rid, issuer.iss, iat, entry["captured_at"])
    return SignedReceipt(
        rid=rid,
        interaction_id=entry["action"]["id"],
        entry_digest=entry["entry_digest"],
        wire01=sign_compact(header(TYP_WIRE01, issuer.key.kid), p01, issuer.key),
        wire02=sign_compact(header(TYP_WIRE02, issuer.key.kid), p02, issuer.key),
        wire01_payload=p01,
    )


def peac_json(jws: str, payload: dict[str, Any]) -> str:
    """The adapter's `<rid>.peac.json`: unsigned copies of the claims next to the authoritative `_jws`."""
    auth = {k: v for k, v in payload.items() if k != "evidence"}
    return stringify({"auth": auth, "evidence": payload["evidence"], "_jws": jws}, 2)


def write_receipt(layout: Layout, receipt: SignedReceipt, *, durable: bool = True) -> list[Path]:
    """Write the three files of a receipt; re-emitting the same entry overwrites the same names.

    With `durable`, each file is fsynced; the caller fsyncs the three directories once per batch.
    """
    paths = [
        layout.receipts / f"{receipt.rid}.peac.json",
        layout.jws01 / f"{receipt.rid}.jws",
        layout.jws02 / f"{receipt.rid}.jws",
    ]
    data = [peac_json(receipt.wire01, receipt.wire01_payload), receipt.wire01 + "\n", receipt.wire02 + "\n"]
    for path, text in zip(paths, data, strict=True):
        atomic_write(path, text.encode("utf-8"), durable=durable, sync_dir=False)
    return paths
