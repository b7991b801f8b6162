"""Signed webhooks: the one HMAC of clawscope, for what it receives and what it sends.

Both schemes are `sha256=` + the hex HMAC-SHA256 of the bytes as sent, compared in constant time,
before anything of the body is decompressed or parsed:
* the session webhook (`POST /api/v1/openclaw/webhook`, sent by `clawscope sync`): over
  `"{timestamp}.{raw body}"` under the agent's secret, the timestamp (Unix seconds, `X-Clawscope-Timestamp`)
  checked against a window, an optional nonce accepted once;
* OpenClaw's event webhooks (`X-OpenClaw-Signature`, seed 003): over the raw body.
Alert webhooks sign what they send with `signature()` as well (the receiver verifies as above).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "sha256="
# The session webhook's headers (the seed's `X-Pisama-*` names are accepted as aliases).
API_KEY_HEADER = "X-Clawscope-API-Key"
TIMESTAMP_HEADER = "X-Clawscope-Timestamp"
SIGNATURE_HEADER = "X-Clawscope-Signature"
NONCE_HEADER = "X-Clawscope-Nonce"
# OpenClaw's event webhooks.
OPENCLAW_SIGNATURE_HEADER = "X-OpenClaw-Signature"


def signature(secret: bytes, body: bytes, timestamp: str | None = None) -> str:
    """`sha256=<hex>` of the body, or of `"{timestamp}.{body}"` when a timestamp is signed with it."""
    message = body if timestamp is None else timestamp.encode() + b"." + body
    return PREFIX + hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, given: str, timestamp: str | None = None) -> bool:
    """Whether `given` is the signature of the body (and timestamp) under `secret` (constant time)."""
    return hmac.compare_digest(signature(secret, body, timestamp).encode(), given.strip().encode())


def fresh(timestamp: str, now_s: float, window_s: float) -> bool:
    """Whether a signed Unix-seconds timestamp is within `window_s` of now (replays of old bodies fail)."""
    return timestamp.isdigit() and abs(now_s - int(timestamp)) <= window_s


def signed_headers(secret: bytes, body: bytes, now_s: float) -> dict[str, str]:
    """The headers that sign a session webhook body now: timestamp, a fresh nonce and the signature."""
    stamp = str(int(now_s))
    return {
        TIMESTAMP_HEADER: stamp,
        NONCE_HEADER: secrets.token_urlsafe(16),
        SIGNATURE_HEADER: signature(secret, body, stamp),
    }


# Standard Webhooks (standardwebhooks.com), for the alert webhooks clawscope sends: the same HMAC-SHA256,
# over "{webhook-id}.{webhook-timestamp}.{body}", base64, versioned ("v1,<sig>").
SW_ID_HEADER = "webhook-id"
SW_TIMESTAMP_HEADER = "webhook-timestamp"
SW_SIGNATURE_HEADER = "webhook-signature"


def standard_key(secret: str) -> bytes:
    """The signing key of a Standard Webhooks secret (`whsec_<base64>`, or any other string as is)."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_") :])
    return secret.encode()


def standard_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(standard_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def standard_verify(secret: str, msg_id: str, timestamp: str, body: bytes, given: str) -> bool:
    """Whether one of the space-separated signatures in `given` is ours (constant time)."""
    want = standard_signature(secret, msg_id, timestamp, body).encode()
    return any(hmac.compare_digest(want, part.encode()) for part in given.split())
