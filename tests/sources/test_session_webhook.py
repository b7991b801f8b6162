"""The session webhook's wire format: the bounded head decode, the full decode, and sender and receiver
agreeing on every record (one struct per payload format, shared)."""

from __future__ import annotations

import msgspec
import pytest

from clawscope.model import SessionKind, SessionMeta
from clawscope.sources import nesting
from clawscope.sources import session_webhook as wire


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),  # brackets inside strings do not count
        (b'{"a": "\\"[[[", "b": [["\\\\"]]}', 3),  # nor after escaped quotes and backslashes
        (b"[" * 500 + b"]" * 500, 500),
        (b"", 0),
    ],
)
def test_nesting_depth(body: bytes, depth: int) -> None:
    assert nesting.nesting_depth(body) == depth


def test_the_head_is_read_alone_and_bounded() -> None:
    body = (
        b'{"session_id": "s", "parts": [{"entries": [{"x": [[1]]}]}], "agent_name": "m", "instance_id": "i"}'
    )
    assert wire.read_head(body) == wire.Head(agent_name="m", instance_id="i")

    def nested(depth: int) -> bytes:  # the top-level object is one level
        return b'{"agent_name": "main", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"

    with pytest.raises(wire.PayloadError, match="nested deeper"):
        wire.read_head(nested(nesting.MAX_DEPTH + 1))
    assert wire.read_head(nested(nesting.MAX_DEPTH)).agent_name == "main"
    with pytest.raises(wire.PayloadError) as err:
        wire.read_head(b'{"agent_name": "' + b"a" * 1_000_000 + b'"}')
    assert err.value.param == "agent_name"
    for bad in (b"", b"not json", b"[]", b'{"instance_id": "i"}', b'{"agent_name": 7}'):
        with pytest.raises(wire.PayloadError):
            wire.read_head(bad)


def test_the_full_decode_never_raises_anything_but_a_payload_error() -> None:
    deep = b'{"session_id": "s", "agent_name": "a", "events": [{"type": "t", "data": {"x": '
    deep += b"[" * 100_000 + b"]" * 100_000 + b"}}]}"
    with pytest.raises(wire.PayloadError, match="nested deeper"):
        wire.read_payload(deep)


def test_sender_and_receiver_agree_on_every_record() -> None:
    records = [b'{"type":"message","id":"a"}', b"not json at all", b'{"bad utf8": "\xff"}', b"  "]
    meta = SessionMeta(session_id="s1", instance="box", agent_id="main", kind=SessionKind.MAIN, key="k")
    sent = wire.SessionPayload(
        session_id="s1",
        agent_name="main",
        status="completed",
        metas=[wire.meta_fields(meta)],
        parts=[
            wire.Part(
                entries=[msgspec.Raw(wire.record_json(r)) for r in records],
                path="agents/main/sessions/s1.jsonl",
                positions=[0, 1, 2, 5],
                start=3,
            )
        ],
    )
    body = wire.encode(sent)
    assert b'"instance_id"' not in body and b'"events"' not in body  # defaults are not sent
    got = wire.read_payload(body)
    (part,) = got.parts
    assert [wire.record_bytes(r) for r in part.entries] == [
        records[0],
        records[1],
        b'{"bad utf8": "\xef\xbf\xbd"}',  # invalid UTF-8 travels as its text, replaced
        records[3],
    ]
    assert (part.path, part.source, part.positions, part.start) == (
        "agents/main/sessions/s1.jsonl",
        "jsonl",
        [0, 1, 2, 5],
        3,
    )
    assert got.metas == [{"agent_id": "main", "key": "k", "kind": "main"}]
    assert (got.session_id, got.agent_name, got.status, got.instance_id) == ("s1", "main", "completed", None)
