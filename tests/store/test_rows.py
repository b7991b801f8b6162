"""Folding a unit's session metadata gives what the upsert would give, row by row."""

from __future__ import annotations

from clawscope.model import SessionKind, SessionMeta
from clawscope.store.rows import merge_metas


def test_merge_follows_the_upsert_rules() -> None:
    run_key = SessionMeta(
        session_id="s",
        instance="h1",
        key="agent:a:cron:j:run:s",
        kind=SessionKind.CRON_RUN,
        job_id="j",
        status="running",
        cwd="/one",
    )
    base_key = SessionMeta(
        session_id="s",
        instance="h2",
        key="agent:a:cron:j",
        kind=SessionKind.CRON,
        status="done",
        cwd="/two",
        label="Cron: nightly",
    )
    header = SessionMeta(session_id="s", instance="h3", header_version=3)
    (m,) = merge_metas([run_key, base_key, header])
    assert (m.key, m.kind, m.job_id) == ("agent:a:cron:j:run:s", SessionKind.CRON_RUN, "j")  # more specific
    assert (m.status, m.label) == ("done", "Cron: nightly")  # newest non-NULL
    assert (m.instance, m.cwd, m.header_version) == ("h1", "/one", 3)  # first non-NULL
    assert [x.session_id for x in merge_metas([header, SessionMeta(session_id="t", instance="h")])] == [
        "s",
        "t",
    ]
