"""Signed spool heads: what makes dropping entries from the END of a spool detectable.

A hash chain proves that nothing was changed or removed BEFORE its last entry; it says nothing about
entries after it. PEAC signs no chain head, so truncating a spool (and deleting the receipts of the
dropped entries) is undetectable upstream. After each commit the emitter therefore signs
`{iss, iat, workflow?, sequence, head_digest}` as a compact JWS with its own `typ` (so it can never
be mistaken for a receipt) into `spool.checkpoint.jws`. A verifier holding that checkpoint (or a
copy kept elsewhere) knows how long the spool was and what its head was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from clawscope.audit.errors import AuditError, Code, Notice, WarningCode
from clawscope.audit.jws import (
    ALG,
    KeySet,
    SigningError,
    SigningKey,
    decode_compact,
    sign_compact,
    verify_compact,
)
from clawscope.audit.spool import ChainProblem

TYP_CHECKPOINT = "clawscope-spool-checkpoint/0.1"
CHECKPOINT_FILE = "spool.checkpoint.jws"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SpoolCheckpoint:
    """A verified spool head: the spool had `sequence` entries and the last one was `head_digest`."""

    sequence: int
    head_digest: str
    workflow: str | None
    iat: int
    kid: str


def sign_checkpoint(
    key: SigningKey, *, iss: str, iat: int, sequence: int, head_digest: str, workflow: str | None
) -> str:
    payload: dict[str, Any] = {"iss": iss, "iat": iat}
    if workflow is not None:
        payload["workflow"] = workflow
    payload |= {"sequence": sequence, "head_digest": head_digest}
    return sign_compact({"typ": TYP_CHECKPOINT, "alg": ALG, "kid": key.kid}, payload, key)


def read_checkpoint(token: str, keys: KeySet) -> SpoolCheckpoint:
    """Verify a checkpoint token; raises AuditError(E_CHECKPOINT_INVALID or the signature's code)."""
    try:
        jws = decode_compact(token.strip(), frozenset({TYP_CHECKPOINT}))
        key = verify_compact(jws, keys)
    except SigningError as exc:
        raise AuditError(exc.code, f"spool checkpoint: {exc.args[0]}") from None
    p = jws.payload
    allowed = {"iss", "iat", "workflow", "sequence", "head_digest"}
    seq = p.get("sequence")
    if (
        set(p) - allowed
        or not isinstance(seq, int)
        or isinstance(seq, bool)
        or seq < 0
        or not isinstance(p.get("head_digest"), str)
        or not _HEX64.fullmatch(p["head_digest"])
        or not isinstance(p.get("iat"), int)
        or not isinstance(p.get("workflow", ""), str)
    ):
        raise AuditError(Code.CHECKPOINT_INVALID, "spool checkpoint payload is malformed")
    return SpoolCheckpoint(seq, p["head_digest"], p.get("workflow"), p["iat"], key.kid)


def check_against(
    checkpoint: SpoolCheckpoint, entries: list[dict[str, Any]], workflow: str | None
) -> tuple[list[ChainProblem], list[Notice]]:
    """Compare an intact chain with a signed head: truncated, rewritten, or extended since."""
    if checkpoint.workflow != workflow:
        return [
            ChainProblem(
                Code.CHECKPOINT_MISMATCH,
                0,
                f"checkpoint is for workflow {checkpoint.workflow!r}, this spool is {workflow!r}",
            )
        ], []
    if checkpoint.sequence > len(entries):
        return [
            ChainProblem(
                Code.SPOOL_TRUNCATED,
                len(entries),
                f"signed head says {checkpoint.sequence} entries, spool has {len(entries)}: entries dropped",
            )
        ], []
    head = entries[checkpoint.sequence - 1]["entry_digest"] if checkpoint.sequence else "0" * 64
    if head != checkpoint.head_digest:
        return [
            ChainProblem(
                Code.CHECKPOINT_MISMATCH,
                checkpoint.sequence,
                f"entry {checkpoint.sequence} differs from the signed head: the chain was rewritten",
            )
        ], []
    extra = len(entries) - checkpoint.sequence
    if extra:
        return [], [
            Notice(
                WarningCode.SPOOL_UNANCHORED_TAIL,
                f"{extra} entries after the last signed head are protected by the chain only",
            )
        ]
    return [], []
