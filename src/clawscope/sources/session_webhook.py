"""The wire format of the session webhook (`POST /api/v1/openclaw/webhook`), shared by its sender
(`clawscope sync`) and its receiver (`ingest/remote.py`): one struct per part of the payload.

The payload is seed 000's session schema (`session_id`, `agent_name`, `events`, …) extended with the
session's raw transcript records (`parts`: one per transcript file or store, each a list of records with
their positions) and its metadata (`metas`, the fields `sessions.json` or the SQLite store give local
ingest). A record travels as the JSON it is; one that is not valid UTF-8 JSON travels as its text.

The body is untrusted until its signature is checked, and the signature's secret depends on who claims
to send it (`instance_id`, `agent_name`: the seed's headers carry no agent id). So the receiver reads
it in two steps: `read_head` decodes only those two fields, bounded (nesting at most `MAX_DEPTH` deep,
each field at most `MAX_TEXT` characters, the body at most the server's `webhook_max_bytes`); then, once
the HMAC over the raw bytes is checked, `read_payload` decodes the whole once. Records stay raw in it
(`msgspec.Raw`): the transcript decoder decodes each exactly once.
"""

from __future__ import annotations

from typing import Any

import msgspec

from clawscope.model import SessionMeta
from clawscope.sources.nesting import MAX_DEPTH, nesting_depth

MAX_TEXT = 512  # ids, names and keys in a payload


class PayloadError(ValueError):
    """The payload cannot be used (→ 422); `param` names the offending field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class Event(msgspec.Struct):
    """One event of seed 000's `events` list."""

    type: str
    timestamp: str | int | float | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class Part(msgspec.Struct, omit_defaults=True):
    """Records of one transcript file (or SQLite store) of the session, in order."""

    entries: list[msgspec.Raw]
    path: str = ""
    source: str = "jsonl"
    positions: list[int] | None = None
    start: int = 0  # position of the first record; > 0 continues the part's previous chunk


class SessionPayload(msgspec.Struct, omit_defaults=True):
    session_id: str
    agent_name: str
    instance_id: str | None = None
    started_at: str | int | float | None = None
    finished_at: str | int | float | None = None
    status: str | None = None
    message_count: int | None = None
    events: list[Event] = msgspec.field(default_factory=list)
    elevated_mode: bool | None = None
    sandbox_enabled: bool | None = None
    entries: list[msgspec.Raw] = msgspec.field(default_factory=list)  # one part, for simple clients
    parts: list[Part] = msgspec.field(default_factory=list)
    metas: list[dict[str, Any]] = msgspec.field(default_factory=list)


class Head(msgspec.Struct):
    """What is read before the signature is checked: who claims to have sent the body."""

    agent_name: str
    instance_id: str | None = None


_HEAD = msgspec.json.Decoder(Head)
_PAYLOAD = msgspec.json.Decoder(SessionPayload)
_ENCODER = msgspec.json.Encoder()


def check_text(value: str | None, param: str) -> None:
    """Reject what PostgreSQL cannot store or a log line should never carry (NUL, control chars)."""
    if value is None:
        return
    if not value or len(value) > MAX_TEXT:
        raise PayloadError(f"{param} must be 1 to {MAX_TEXT} characters", param)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise PayloadError(f"{param} holds control characters", param)


def read_head(body: bytes) -> Head:
    """The sender's claimed identity, decoded alone (everything else is skipped, not built), bounded."""
    if nesting_depth(body) > MAX_DEPTH:
        raise PayloadError(f"invalid payload: JSON nested deeper than {MAX_DEPTH} levels")
    try:
        head = _HEAD.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PayloadError(f"invalid payload: {exc}") from None
    check_text(head.agent_name, "agent_name")
    check_text(head.instance_id, "instance_id")
    return head


def read_payload(body: bytes) -> SessionPayload:
    """The whole payload, once (after the signature was checked), validated."""
    try:
        p = _PAYLOAD.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PayloadError(f"invalid payload: {exc}") from None
    except RecursionError:  # read_head refuses such bodies first; this guards other callers
        raise PayloadError(f"invalid payload: JSON nested deeper than {MAX_DEPTH} levels") from None
    check_text(p.session_id, "session_id")
    for i, part in enumerate(p.parts):
        if part.positions is not None and len(part.positions) != len(part.entries):
            raise PayloadError("positions must match entries one to one", f"parts[{i}].positions")
        check_text(part.path or None, f"parts[{i}].path")
    return p


def encode(payload: SessionPayload) -> bytes:
    """The body of a payload (records spliced in as they are)."""
    return _ENCODER.encode(payload)


def record_json(raw: bytes) -> bytes:
    """A record as it travels: itself when it is valid UTF-8 JSON, else its text as a JSON string."""
    try:
        msgspec.json.decode(raw)
        raw.decode("utf-8")
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return _ENCODER.encode(raw.decode("utf-8", "replace"))
    return raw


def record_bytes(raw: msgspec.Raw) -> bytes:
    """A record as it was read, from what traveled (the inverse of `record_json`)."""
    data = bytes(raw)
    if data[:1] == b'"':  # a record that was not JSON, sent as its text
        return msgspec.json.decode(data, type=str).encode("utf-8", "surrogatepass")
    return data


def meta_fields(m: SessionMeta) -> dict[str, Any]:
    """A session's metadata as `metas` carries it: the known fields, without the session id and the
    instance (the receiver sets both)."""
    d: dict[str, Any] = msgspec.to_builtins(m)
    return {k: v for k, v in d.items() if v is not None and k not in ("session_id", "instance")}
