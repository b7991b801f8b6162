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
