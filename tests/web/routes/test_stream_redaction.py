"""A `detection` event's message and evidence quote transcripts: a stream reader without
`sessions:read` (a `stats:read` dashboard or collector key) gets the event without them."""

from __future__ import annotations

import orjson

from clawscope.store import Event
from clawscope.web.routes.stream import format_event

FINDING = {"id": "f1", "family": "prompt_injection", "severity": "critical", "message": "obeyed 'ignore all'",
           "evidence": {"payloads": ["ignore all previous instructions"]}, "entryIds": ["e1"]}  # fmt: skip


def _data(raw: bytes) -> dict[str, object]:
    line = next(ln for ln in raw.split(b"\n") if ln.startswith(b"data: "))
    return orjson.loads(line[len(b"data: ") :])["data"]  # type: ignore[no-any-return]


def test_a_reader_without_sessions_read_gets_the_finding_without_its_transcript_quotes() -> None:
    e = Event("detection", dict(FINDING), 1, id=7, session_id="s", agent="main")
    full, redacted = _data(format_event(e)), _data(format_event(e, transcripts=False))
    assert full == FINDING
    assert redacted == {k: v for k, v in FINDING.items() if k not in ("message", "evidence")}


def test_other_events_are_the_same_for_every_reader() -> None:
    e = Event("session.updated", {"message": "kept", "n": 1}, 1, id=8, session_id="s")
    assert format_event(e, transcripts=False) == format_event(e)
