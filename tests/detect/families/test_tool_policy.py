"""`sandbox_escape.tool-policy`: tools used beyond the agent's configured tool policy, on real recordings.

The corpus recordings (both eras) are copied and their real `openclaw.json` given a tool policy in the
shape that release uses (`agents.entries.<id>.tools` in 2026.9, `agents.list[]` in 2026.7), then
ingested and read back through the store: the sessions that ran `exec` are flagged, the others not.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from clawscope.dburl import sqlite_url
from clawscope.detect.families.tool_policy import ToolPolicyBreach, matches, refusal
from clawscope.ingest import ingest
from clawscope.model.detection import FindingSeverity, PolicyLayer, SessionView, ToolPolicy
from clawscope.store import Store
from tests.detect.families.conftest import CORPUS, RELEASES, Corpus

DETECTOR = ToolPolicyBreach()


def _with_policy(tmp: Path, release: str, policy: dict[str, Any]) -> dict[str, SessionView]:
    state = tmp / "state"
    shutil.copytree(CORPUS / release / "state", state)
    cfg_path = state / "openclaw.json"
    cfg = json.loads(cfg_path.read_text())
    agents = cfg["agents"]
    if "entries" in agents:
        agents["entries"]["main"]["tools"] = policy
    else:
        next(a for a in agents["list"] if a["id"] == "main")["tools"] = policy
    cfg_path.write_text(json.dumps(cfg))
    with Store(sqlite_url(tmp / "policy.db")) as store:
        report = ingest(store, [state], instance=release, estimate=False)
        assert report.problems == 0
        ids = sorted(store.sessions_with_entries())
        return {v.session.session_id: v for v in store.detection.views(ids)}


def _ran(view: SessionView, tool: str) -> bool:
    return any(t.name == tool and t.status != "pending" for t in view.tools)


@pytest.mark.parametrize("release", RELEASES)
def test_exec_beyond_a_policy_that_denies_the_runtime_group(tmp_path: Path, release: str) -> None:
    views = _with_policy(tmp_path, release, {"deny": ["group:runtime"]})
    flagged = 0
    for sid, view in views.items():
        # `intake` has its own policy in the corpus config (no exec, no writes)
        assert view.tool_policy.configured == (view.session.agent in ("main", "intake")), sid
        found = list(DETECTOR.detect(view, dict(DETECTOR.defaults)))
        execs = view.session.agent == "main" and _ran(view, "exec")
        assert bool(found) == execs, (sid, [f.message for f in found])
        for f in found:
            exec_calls = [t for t in view.tools if t.name == "exec"]
            assert f.evidence["tool"] == "exec" and f.evidence["refusedBy"] == "agents.main.tools.deny"
            assert {t.call_entry_id for t in exec_calls} <= set(f.entry_ids)
            assert f.anchor_entry_id in f.entry_ids
            ran = [t for t in exec_calls if t.status == "ok" and t.exit_code in (None, 0)]
            if ran:
                assert f.severity == FindingSeverity.CRITICAL
        flagged += bool(found)
    assert flagged >= 10  # the corpus runs exec in many sessions


def test_a_messaging_profile_flags_file_tools_as_warnings(tmp_path: Path) -> None:
    views = _with_policy(tmp_path, "openclaw-2026.9.6", {"profile": "messaging"})
    reads = [
        v for v in views.values() if v.session.agent == "main" and _ran(v, "read") and not _ran(v, "exec")
    ]
    assert reads
    for view in reads:
        found = {f.evidence["tool"]: f for f in DETECTOR.detect(view, dict(DETECTOR.defaults))}
        assert found["read"].severity == FindingSeverity.WARNING
        assert found["read"].evidence["refusedBy"] == "tools.profile=messaging"


@pytest.mark.parametrize("release", RELEASES)
def test_quiet_on_the_corpus_as_configured(corpora: dict[str, Corpus], release: str) -> None:
    """The corpus's `intake` agent may not run commands or write (`tools.deny`), and OpenClaw kept it
    to that: its sessions are quiet; every other agent has no policy."""
    intake = [v for v in corpora[release].views.values() if v.session.agent == "intake"]
    assert intake and all(v.tool_policy.layers[0].deny for v in intake)
    for view in corpora[release].views.values():
        assert view.tool_policy.configured == (view.session.agent == "intake")
        assert list(DETECTOR.detect(view, dict(DETECTOR.defaults))) == []


def test_policy_rules_as_openclaw_documents_them() -> None:
    layers = (
        PolicyLayer("tools", ("group:fs", "web_*", "exec"), ("write",)),
        PolicyLayer("tools.sandbox.tools", None, ("exec",), "sandboxed"),
        PolicyLayer("tools.subagents.tools", None, ("web_fetch",), "subagent"),
    )
    p = ToolPolicy(layers=layers)

    def why(tool: str, sandboxed: bool = False, subagent: bool = False) -> str | None:
        return refusal(p, tool, sandboxed=sandboxed, subagent=subagent)

    assert why("read") is None and why("READ") is None  # group, case-insensitive
    assert why("web_search") is None  # glob
    assert why("write") == "tools.deny"  # deny wins over the group allow
    assert why("message") == "tools.allow"  # not in the allowlist
    assert why("bash") is None  # an alias of exec
    assert why("exec", sandboxed=True) == "tools.sandbox.tools.deny"
    assert why("web_fetch") is None and why("web_fetch", subagent=True) == "tools.subagents.tools.deny"
    assert why("tool_search") is None  # OpenClaw's plumbing is always offered
    assert refusal(ToolPolicy(exec_security="deny"), "exec", sandboxed=False, subagent=False)
    assert refusal(ToolPolicy(profile="coding"), "message", sandboxed=False, subagent=False)
    assert (
        refusal(
            ToolPolicy(profile="coding", also_allow=("message",)), "message", sandboxed=False, subagent=False
        )
        is None
    )
    assert refusal(ToolPolicy(profile="full"), "message", sandboxed=False, subagent=False) is None
    assert matches(("group:openclaw",), "web_fetch") and not matches(("group:openclaw",), "exec")
