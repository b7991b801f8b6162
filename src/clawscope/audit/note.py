"""Signed checkpoints of the Merkle log, in the C2SP `tlog-checkpoint` / signed-note text format.

    <origin>\\n<tree size>\\n<base64 root hash>\\n
    \\n
    — <key name> <base64(4-byte key hash || Ed25519 signature)>\\n

The signature covers the body (the first three lines, newline-terminated). The key hash is
`SHA-256(name || "\\n" || 0x01 || public key)[:4]`, so a verifier picks the right key without
trying each one. The format is plain text so a checkpoint can be pasted into a ticket, mailed to an
auditor or co-signed by a witness, and compared later with a consistency proof.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from clawscope.audit.errors import AuditError, Code
from clawscope.audit.jws import KeySet, PublicKey, SigningKey

DASH = "\u2014"
_NAME = re.compile(r"[^\s+]+")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
MAX_NOTE_BYTES = 16 * 1024


@dataclass(frozen=True)
class Checkpoint:
    """A verified log checkpoint: the tree of `origin` had `size` leaves and this `root`."""

    origin: str
    size: int
    root: bytes
    text: str
    signer: str  # kid of the key that verified


def key_hash(name: str, public: PublicKey) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public.raw).digest()[:4]


def verifier_key(name: str, public: PublicKey) -> str:
    """The signed-note verifier key string `<name>+<hex key hash>+<base64(0x01 || key)>`."""
    encoded = base64.b64encode(b"\x01" + public.raw).decode()
    return f"{name}+{key_hash(name, public).hex()}+{encoded}"


def sign_note(origin: str, size: int, root: bytes, key: SigningKey, name: str | None = None) -> str:
    if not _NAME.fullmatch(origin) or len(root) != 32 or size < 0:
        raise AuditError(Code.LOG_NOTE_INVALID, "origin must be one word, root 32 bytes, size >= 0")
    name = name or origin
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    signature = key.sign(body.encode("utf-8"))
    sig_line = f"{DASH} {name} {base64.b64encode(key_hash(name, key.public) + signature).decode()}\n"
    return body + "\n" + sig_line


def open_note(text: str, keys: KeySet, origin: str | None = None) -> Checkpoint:
    """Parse and verify a checkpoint note; at least one signature must come from a key in `keys`."""
    if len(text.encode("utf-8")) > MAX_NOTE_BYTES or "\n\n" not in text or not text.endswith("\n"):
        raise AuditError(Code.LOG_NOTE_INVALID, "not a signed note (body, blank line, signature lines)")
    body, _, sigs = text.partition("\n\n")
    body += "\n"
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not _NAME.fullmatch(lines[0]) or not _SIZE.fullmatch(lines[1]):
        raise AuditError(Code.LOG_NOTE_INVALID, "checkpoint body must be origin, tree size, root hash")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        root = b""
    if len(root) != 32:
        raise AuditError(Code.LOG_NOTE_INVALID, "checkpoint root hash is not 32 bytes of base64")
    if origin is not None and lines[0] != origin:
        raise AuditError(Code.LOG_NOTE_INVALID, f"checkpoint origin is {lines[0]!r}, expected {origin!r}")
    signer = _check_signatures(body.encode("utf-8"), sigs, keys)
    return Checkpoint(lines[0], int(lines[1]), root, text, signer)


def _check_signatures(message: bytes, sigs: str, keys: KeySet) -> str:
    verified: str | None = None
    for line in sigs.rstrip("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or not _NAME.fullmatch(parts[1]):
            raise AuditError(Code.LOG_NOTE_INVALID, "malformed signature line")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise AuditError(Code.LOG_NOTE_INVALID, "signature is not base64") from None
        for public in keys.keys.values():
            if len(blob) == 68 and blob[:4] == key_hash(parts[1], public):
                if not public.verify(blob[4:], message):
                    raise AuditError(
                        Code.LOG_NOTE_SIGNATURE, f"checkpoint signature by {parts[1]} does not verify"
                    )
                verified = public.kid
    if verified is None:
        raise AuditError(Code.LOG_NOTE_SIGNATURE, "no checkpoint signature from a trusted key")
    return verified
