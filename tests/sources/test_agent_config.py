"""What detectors read from openclaw.json and the workspace: context windows, and Markdown files found
only inside the state dir (a relocated state dir keeps its workspaces beside it)."""

from __future__ import annotations

import json
from pathlib import Path

from clawscope.sources.agent_config import context_windows, read_config
from clawscope.sources.workspace import workspace_dir, workspace_files


def test_context_windows_by_provider_and_model_capped_by_context_tokens() -> None:
    cfg = {
        "models": {
            "providers": {
                "fake": {
                    "models": [
                        {"id": "small", "contextWindow": 32000},
                        {"id": "big", "contextWindow": 200000},
                    ]
                },
                "other": {
                    "models": [{"id": "small", "contextWindow": 8000}, {"id": "bad", "contextWindow": "x"}]
                },
            }
        },
        "agents": {"defaults": {"contextTokens": 100000}},
    }
    assert context_windows(cfg) == {
        "fake/small": 32000,
        "small": 32000,  # the first provider's
        "fake/big": 100000,  # capped
        "big": 100000,
        "other/small": 8000,
    }
    assert context_windows({"models": []}) == {} and context_windows({}) == {}


def test_config_and_workspace_stay_inside_the_state_dir(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "workspace-ops").mkdir(parents=True)
    (state / "workspace-ops" / "SOUL.md").write_text("ops soul")
    (state / "workspace-ops" / "notes.txt").write_text("not markdown")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "IDENTITY.md").write_text("outside")
    cfg = {"agents": {"entries": {"ops": {"workspace": "/old/home/.openclaw/workspace-ops"},
                                  "evil": {"workspace": str(tmp_path / "elsewhere")}}}}  # fmt: skip
    (state / "openclaw.json").write_text(json.dumps(cfg))
    assert read_config(state) == cfg
    assert workspace_files(state, "ops") == {"SOUL.md": "ops soul"}  # found by its folder name
    assert workspace_dir(state, "evil", cfg) is None and workspace_files(state, "evil") == {}
    (state / "openclaw.json").write_text("{not json")
    assert read_config(state) == {} and workspace_files(state, "ops") == {"SOUL.md": "ops soul"}


def test_tool_policy_of_an_agent_entry_2026_9_shape() -> None:
    from clawscope.model.detection import PolicyLayer
    from clawscope.sources.agent_config import tool_policy

    cfg = {
        "tools": {"profile": "coding", "deny": ["Browser"], "exec": {"security": "allowlist"}},
        "agents": {
            "defaults": {"sandbox": {"mode": "non-main"}},
            "entries": {
                "support": {
                    "tools": {
                        "profile": "messaging",
                        "allow": ["slack"],
                        "sandbox": {"tools": {"deny": ["message"]}},
                    }
                },
                "main": {"default": True},
            },
        },
    }
    support = tool_policy(cfg, "support")
    assert support.profile == "messaging"  # the agent's profile overrides the global one
    assert support.layers == (
        PolicyLayer("tools", None, ("browser",)),
        PolicyLayer("agents.support.tools", ("slack",), ()),
        PolicyLayer("tools.sandbox.tools", None, ("message",), "sandboxed"),
    )
    assert support.exec_security == "allowlist" and support.sandbox_mode == "non-main"
    main = tool_policy(cfg, "main")
    assert main.profile == "coding" and main.layers == (PolicyLayer("tools", None, ("browser",)),)
    assert main.configured


def test_tool_policy_of_the_legacy_agents_list_and_of_no_policy() -> None:
    from clawscope.sources.agent_config import tool_policy

    cfg = {"agents": {"list": [{"id": "ops", "tools": {"deny": ["group:runtime"]}}]}}
    assert tool_policy(cfg, "ops").layers[0].deny == ("group:runtime",)
    assert not tool_policy(cfg, "main").configured
    assert not tool_policy({}, "main").configured
    assert not tool_policy({"tools": {"profile": "full", "allow": "not a list"}}, "main").configured
