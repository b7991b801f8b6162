"""`store.detection`: SessionViews built from what ingest stored (the real corpus, and built records)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support import builders as b
from tests.support.env import FIXTURES

CORPUS = FIXTURES / "detect" / "openclaw-2026.9.6"


def by_scenario() -> dict[str, str]:
    labels = json.loads((CORPUS / "labels.json").read_text())["sessions"]
    return {s["session"]: sid for sid, s in labels.items()}


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("views") / "c.db"
    store = Store(f"sqlite:///{path}")
    ingest(store, [CORPUS / "state"], instance="corpus", estimate=False)
    return store


def views_of(store: Store, session_id: str):  # type: ignore[no-untyped-def]
    (view,) = store.detection.views([session_id])
    return view


def test_views_of_the_real_corpus(corpus_store: Store) -> None:
    names = by_scenario()
    wanted = [
        names[n]
        for n in (
            "tool_abuse/forty-calls-in-one-turn",
            "channel/email-phone-in-group",
            "spawn_depth/chain-3/level-3",
            "persona/pirate-roleplay",
        )
    ]
    views = {v.session.session_id: v for v in corpus_store.detection.views([*wanted, "no-such-session"])}
    assert list(views) == wanted
    forty, group, deep, pirate = (views[i] for i in wanted)
    assert len(forty.tools) == 40 and all(
        t.arguments.get("command", "").startswith("curl") for t in forty.tools
    )
    assert forty.tools[0].output_text == '{"id": 1, "price": 1.50}' and forty.tools[0].status == "ok"
    assert [e.pos for e in forty.entries] == sorted(e.pos for e in forty.entries)
    assert (group.session.kind, group.session.chat_type, group.session.channel) == (
        "group",
        "group",
        "telegram",
    )
    assert deep.session.spawn_depth == 3 and [a.spawn_depth for a in deep.ancestors][:2] == [2, 1]
    assert deep.ancestors[0].session_id == deep.session.parent_session_id
    assert "identity.md" in {n.lower() for n in pirate.workspace_files}
    assert (
        "bakery" in pirate.workspace_files["IDENTITY.md"].lower() + pirate.workspace_files["SOUL.md"].lower()
    )
    assert group.session.key in group.known_session_keys and len(group.known_session_keys) > 100
    assert forty.model_calls and forty.model_calls[0].prompt_tokens > 0
    assert forty.context_windows["fake/fake-small"] == 32000 and forty.session.context_window == 128000
    parent = views_of(corpus_store, names["coordination/child-said-failure"])
    (child,) = parent.children
    assert child.result_text and "fail" in child.result_text.lower()


def test_whole_arguments_wrappers_results_and_children(db_url: str, tmp_path: Path) -> None:
    state = tmp_path / "state"
    sessions = b.state_dir(state)
    big = "x" * 10_000  # the tool_calls.arguments column keeps a 4 KiB preview
    wrapped = {
        "type": "toolCall",
        "id": "w1",
        "name": "tool_call",
        "arguments": {"id": "read", "args": {"path": "/etc/passwd"}},
    }
    records = [
        b.user("go"),
        b.assistant(tools=[b.tool_call("c1", "write", path="a.txt", content=big), wrapped]),
        b.tool_result("c1", "write", error=True),
        b.tool_result("w1", "tool_call"),
    ]
    b.write_session(sessions, "parent-1", records, key="agent:main:discord:channel:123")
    b.write_session(sessions, "child-1", [b.user("sub")], key="agent:main:discord:channel:123:subagent:abc")
    ws = state / "workspace"
    ws.mkdir()
    (ws / "IDENTITY.md").write_text("I am a test agent")
    (tmp_path / "secret.md").write_text("outside")
    os.symlink(tmp_path / "secret.md", ws / "LEAK.md")
    with Store(db_url) as store:
        ingest(store, [state], instance="i", estimate=False)
        (view,) = store.detection.views(["parent-1"], output_limit=3)
    assert view.tools[0].arguments == {"path": "a.txt", "content": big}
    assert (view.tools[0].status, view.tools[0].output_text) == ("error", "boo")
    assert (view.tools[1].name, view.tools[1].arguments) == ("read", {"path": "/etc/passwd"})
    assert [c.session_id for c in view.children] == ["child-1"]
    assert view.session.chat_type == "channel" and view.session.channel == "discord"
    assert view.workspace_files == {"IDENTITY.md": "I am a test agent"}
    assert [e.text for e in view.entries if e.role == "user"] == ["go"]


def test_a_view_cache_carried_across_calls_gives_the_same_views(corpus_store: Store) -> None:
    import msgspec

    from clawscope.store import ViewCache

    ids = corpus_store.detection.session_ids()
    whole = [msgspec.to_builtins(v) for v in corpus_store.detection.views(ids)]
    cache = ViewCache()
    pieces = [
        msgspec.to_builtins(v)
        for i in range(0, len(ids), 3)
        for v in corpus_store.detection.views(ids[i : i + 3], cache=cache)
    ]
    assert len(whole) == len(ids) > 10 and pieces == whole
    assert cache.pruned == frozenset() and set(cache.keys) == {"corpus"}  # read once, kept
