"""Whatever the seed, a demo holds every case an ingester must handle (the showcase of `story.py`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clawscope.demo import generate
from tests.oracle import HEARTBEAT_PROMPT, transcripts


def features(root: Path, era: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _, _, recs in transcripts(root, era):
        messages_before = 0
        for rec in recs:
            if rec["type"] == "compaction" and rec["tokensBefore"] > 0:
                seen["compaction"] += 1
            if rec["type"] == "model_change" and messages_before:
                seen["model change mid-session"] += 1
            if rec["type"] != "message":
                continue
            messages_before += 1
            _message(rec["message"], era, seen)
    return seen


def _message(msg: dict[str, Any], era: str, seen: Counter[str]) -> None:
    role = msg["role"]
    if role == "user":
        text = msg["content"] if isinstance(msg["content"], str) else msg["content"][0]["text"]
        seen["heartbeat prompt"] += text == HEARTBEAT_PROMPT
        seen["announce (3.x)"] += "[Internal task completion event]" in text and "provenance" in msg
        seen["cron prompt"] += text.startswith("[cron:") and "\nCurrent time: " in text
        seen["subagent task"] += "[Subagent Context]" in text and "[Subagent Task]" in text
    elif role == "assistant":
        texts = [b.get("text") for b in msg["content"] if b["type"] == "text"]
        seen["HEARTBEAT_OK"] += texts == ["HEARTBEAT_OK"]
        seen["error row"] += msg["stopReason"] == "error" and msg["errorMessage"].startswith("500 ")
        seen["gateway-injected"] += msg.get("model") == "gateway-injected"
        seen["delivery-mirror"] += msg.get("model") == "delivery-mirror"
        seen["injected reply"] += msg["stopReason"] == "injected"
        seen["announce (9.x)"] += msg.get("__openclaw", {}).get("runId", "").startswith("announce:v1:")
        seen["thinking"] += any(b["type"] == "thinking" for b in msg["content"])
        for block in msg["content"]:
            if block["type"] == "toolCall":
                args = block["arguments"].get("args", block["arguments"])
                seen["elevated exec"] += "elevated" in args or "host" in args
                seen["ansi output"] += "--color" in args.get("command", "")
        if msg.get("provider"):
            seen[f"provider {msg['provider']}"] += 1
    elif role == "toolResult":
        status = (msg.get("details") or {}).get("status")
        seen["isError:false + details.status error"] += msg["isError"] is False and status == "error"
        seen["isError:true + details.status"] += msg["isError"] is True and status in {"error", "failed"}
        seen["isError:true, no details"] += msg["isError"] is True and "details" not in msg


COMMON = (
    "compaction",
    "model change mid-session",
    "heartbeat prompt",
    "HEARTBEAT_OK",
    "cron prompt",
    "subagent task",
    "error row",
    "gateway-injected",
    "delivery-mirror",
    "injected reply",
    "thinking",
    "elevated exec",
    "ansi output",
    "provider anthropic",
    "provider openai",
    "provider google",
    "isError:true + details.status",
)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("era", ["jsonl", "sqlite"])
def test_every_case_is_present_even_in_a_small_demo(tmp_path: Path, era: str, seed: int) -> None:
    root = tmp_path / "d"
    generate(root, sessions=12, agents=1, era=era, seed=seed)
    seen = features(root, era)
    missing = [f for f in COMMON if not seen[f]]
    assert missing == []
    if era == "jsonl":  # 2026.3.x: failed read = isError false + details.status error; announce as user msg
        assert seen["isError:false + details.status error"]
        assert seen["announce (3.x)"]
        assert seen["isError:true, no details"]
    else:  # 2026.9.x: failed reads are flagged; announce is a run without a user message
        assert not seen["isError:false + details.status error"]
        assert seen["announce (9.x)"]


def test_local_model_and_many_agents(tmp_path: Path) -> None:
    root = tmp_path / "d"
    generate(root, sessions=60, agents=5, era="jsonl", seed=5)
    assert features(root, "jsonl")["provider ollama"] > 0
    assert sorted(p.name for p in (root / "agents").iterdir()) == [
        "family",
        "homelab",
        "main",
        "research",
        "work",
    ]
