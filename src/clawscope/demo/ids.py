"""Identifiers in the shapes OpenClaw and the providers use, drawn from a seeded generator.

Every id comes from a `random.Random`, never from `uuid4()` or the clock, so a seed reproduces the
same state dir byte for byte. Shapes: session ids and v4 entry ids are UUIDv4 strings; v3 entry ids
are 8 hex characters, unique within their transcript (pi checks collisions the same way); tool-call
and response ids follow each provider API's visible format.
"""

from __future__ import annotations

import base64
import random

# base64 → base62 by folding the two extra symbols onto letters (a slight bias nobody can see).
_TO_B62 = bytes.maketrans(b"+/=", b"kQz")


class Rng(random.Random):
    """`random.Random` with a cheaper `randint`: the generator calls it millions of times.

    Still fully determined by the seed; the values differ from the stdlib methods, which is fine.
    """

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


def uuid4(rng: random.Random) -> str:
    """A random (version 4, RFC 4122 variant) UUID string."""
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)  # version nibble
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # variant bits
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hexstr(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def token(rng: random.Random, n: int) -> str:
    """n random base62 characters."""
    raw = base64.b64encode(rng.randbytes(n * 3 // 4 + 3))
    return raw.translate(_TO_B62)[:n].decode()


def sha_like(rng: random.Random) -> str:
    """A 43-character base64url digest (the shape of `openclaw.cache-ttl` source hashes)."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).decode()[:43]


class EntryIds:
    """Entry ids of one transcript: 8-hex (header version 3) or UUID (version 4), never repeated."""

    def __init__(self, rng: random.Random, version: int) -> None:
        self._rng = rng
        self._uuid = version >= 4
        self._seen: set[str] = set()

    def new(self) -> str:
        if self._uuid:
            return uuid4(self._rng)
        while True:
            eid = f"{self._rng.getrandbits(32):08x}"
            if eid not in self._seen:
                self._seen.add(eid)
                return eid


def tool_call_id(rng: random.Random, api: str) -> str:
    """A tool-call id as each provider API writes it."""
    if api == "anthropic-messages":
        return "toolu_01" + token(rng, 22)
    if api == "openai-responses":
        return "call_" + token(rng, 24) + "|fc_" + hexstr(rng, 48)
    if api == "google-generative-ai":
        return "call_" + hexstr(rng, 16)
    return "call_" + hexstr(rng, 12)


def response_id(rng: random.Random, api: str) -> str | None:
    """The provider's response id (`responseId`); local Ollama models have none."""
    if api == "anthropic-messages":
        return "msg_01" + token(rng, 22)
    if api == "openai-responses":
        return "resp_" + hexstr(rng, 48)
    if api == "google-generative-ai":
        return base64.urlsafe_b64encode(rng.randbytes(18)).decode()[:22]
    if api == "openai-completions":
        return "chatcmpl-" + hexstr(rng, 16)
    return None


def signature(rng: random.Random, n: int = 240) -> str:
    """An opaque base64 thinking signature (Anthropic)."""
    return base64.b64encode(rng.randbytes(n * 3 // 4)).decode()
