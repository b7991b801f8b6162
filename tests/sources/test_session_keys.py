"""The session-key grammar of format doc §3."""

from __future__ import annotations

import pytest

from clawscope.model import SessionKind, Trigger
from clawscope.sources.session_keys import parse_session_key


@pytest.mark.parametrize(
    ("key", "agent", "kind", "extra"),
    [
        ("agent:main:main", "main", SessionKind.MAIN, {}),
        ("agent:work:work", "work", SessionKind.MAIN, {}),  # a configured mainKey
        ("agent:main:direct:+15555550123", "main", SessionKind.DIRECT, {"peer": "+15555550123"}),
        (
            "agent:main:telegram:direct:123",
            "main",
            SessionKind.DIRECT,
            {"channel": "telegram", "peer": "123"},
        ),
        (
            "agent:main:whatsapp:acct1:direct:44",
            "main",
            SessionKind.DIRECT,
            {"channel": "whatsapp", "account": "acct1", "peer": "44"},
        ),
        (
            "agent:main:telegram:group:-100123",
            "main",
            SessionKind.GROUP,
            {"channel": "telegram", "peer": "-100123"},
        ),
        (
            "agent:main:telegram:group:-100123:topic:7",
            "main",
            SessionKind.GROUP,
            {"channel": "telegram", "peer": "-100123", "thread": "7"},
        ),
        (
            "agent:main:discord:channel:987",
            "main",
            SessionKind.CHANNEL,
            {"channel": "discord", "peer": "987"},
        ),
        ("agent:main:matrix:room:!abc", "main", SessionKind.ROOM, {"channel": "matrix"}),
        ("group:legacy-1", None, SessionKind.GROUP, {"peer": "legacy-1"}),
        (
            "agent:main:subagent:38ea84e0",
            "main",
            SessionKind.SUBAGENT,
            {"parent_key": None, "spawn_depth": 1},
        ),  # the parent comes from spawnedBy
        (
            "agent:main:subagent:a:subagent:b",
            "main",
            SessionKind.SUBAGENT,
            {"parent_key": "agent:main:subagent:a", "spawn_depth": 2},
        ),
        ("agent:main:cron:job1", "main", SessionKind.CRON, {"job_id": "job1"}),
        (
            "agent:main:cron:job1:run:sess9",
            "main",
            SessionKind.CRON_RUN,
            {"job_id": "job1", "run_session_id": "sess9", "parent_key": "agent:main:cron:job1"},
        ),
        ("agent:main:heartbeat:main", "main", SessionKind.HEARTBEAT, {}),
        ("hook:0b2c", None, SessionKind.HOOK, {}),
        ("hook:email:msg-123", None, SessionKind.HOOK, {}),
        ("agent:main:openai:bc60d0fb", "main", SessionKind.OPENAI_API, {}),
        ("agent:main:openresponses-user:u1", "main", SessionKind.OPENAI_API, {}),
        ("agent:main:acp:123", "main", SessionKind.ACP, {}),
        ("node-abc123", None, SessionKind.NODE, {}),
        ("agent:main:internal:x", "main", SessionKind.OTHER, {}),
        ("session:custom-id", None, SessionKind.OTHER, {}),
        ("global", None, SessionKind.OTHER, {}),
        ("", None, SessionKind.OTHER, {}),
        ("agent:", None, SessionKind.OTHER, {}),
    ],
)
def test_session_key_grammar(key: str, agent: str | None, kind: SessionKind, extra: dict) -> None:
    sk = parse_session_key(key)
    assert (sk.agent_id, sk.kind) == (agent, kind)
    for name, value in extra.items():
        assert getattr(sk, name) == value, name


@pytest.mark.parametrize(
    ("key", "trigger"),
    [
        ("agent:main:main", Trigger.MAIN),
        ("agent:main:telegram:direct:1", Trigger.MAIN),
        ("agent:main:telegram:group:1", Trigger.CHANNEL),
        ("agent:main:cron:j:run:s", Trigger.CRON),
        ("agent:main:subagent:x", Trigger.SUBAGENT),
        ("hook:x", Trigger.HOOK),
        ("agent:main:openai:x", Trigger.API),
        ("agent:main:heartbeat:main", Trigger.HEARTBEAT),
        ("node-1", Trigger.OTHER),
    ],
)
def test_kind_to_trigger(key: str, trigger: Trigger) -> None:
    assert parse_session_key(key).trigger == trigger
