"""The demo's planted failures and their labels, checked against the files alone.

The generator labels what it plants (`demo-totals.json` → `labels`). An independent look at every
transcript recomputes which sessions show a mechanical failure (identical repeated calls, a run of
failing calls, sudo / `| sh` / elevated or host-escalated exec, a sub-agent at depth ≥ 3, personal data
in a group chat, a read under `~/.ssh`, a prompt at ≥ 80 % of the model's window) and must find exactly
the labelled sessions and families: every other session is clean, so it serves as a negative.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from clawscope.demo import DemoTotals
from clawscope.demo.catalog import GEMINI_FLASH, GPT4O_MINI, GPT5, GPT5_MINI, HAIKU, OLLAMA, SONNET
from tests.oracle import transcripts

WINDOWS = {
    f"{m.provider}/{m.id}": m.context_window
    for m in (SONNET, HAIKU, GPT5, GPT5_MINI, GPT4O_MINI, GEMINI_FLASH, OLLAMA)
}
PLANTED = {
    "loop",
    "tool_abuse",
    "elevated_risk",
    "spawn_depth",
    "channel_mismatch",
    "sandbox_escape",
    "context_overflow",
}
PII = re.compile(r"[\w.+-]+@[\w-]+\.\w+|\+\d[\d ]{9,}")


def messages(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(r["id"], r["message"]) for r in records if r.get("type") == "message"]


def calls(msg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for b in msg.get("content") or []:
        if isinstance(b, dict) and b.get("type") == "toolCall":
            name, args = b["name"], b.get("arguments") or {}
            if name == "tool_call":
                name, args = args["id"], args.get("args") or {}
            out.append((name, args))
    return out


def text(msg: dict[str, Any]) -> str:
    c = msg.get("content")
    return c if isinstance(c, str) else " ".join(b.get("text", "") for b in c or [] if isinstance(b, dict))


def failed(msg: dict[str, Any]) -> bool:
    return bool(msg.get("isError")) or (msg.get("details") or {}).get("status") in ("error", "failed")


def observed(records: list[dict[str, Any]], key: str) -> set[str]:
    """The mechanical failures a transcript shows, recomputed from its records."""
    found = set()
    msgs = messages(records)
    actions = [
        json.dumps(c, sort_keys=True) for _, m in msgs if m.get("role") == "assistant" for c in calls(m)
    ]
    if any(actions[i : i + 5] == [a] * 5 for i, a in enumerate(actions)):
        found.add("loop")
    results = [failed(m) for _, m in msgs if m.get("role") == "toolResult"]
    if any(results[i : i + 6] == [True] * 6 for i in range(len(results))):
        found.add("tool_abuse")
    for _, m in msgs:
        role = m.get("role")
        for name, args in calls(m) if role == "assistant" else []:
            cmd = str(args.get("command", ""))
            if name == "exec" and (
                args.get("elevated") or args.get("host") == "gateway" or "sudo " in cmd or "| sh" in cmd
            ):
                found.add("elevated_risk")
            if name == "read" and "/.ssh/" in str(args.get("path", "")):
                found.add("sandbox_escape")
        if role == "user" and re.search(r"\(depth [3-9]/", text(m)):
            found.add("spawn_depth")
        if role == "assistant" and ":group:" in key and PII.search(text(m)):
            found.add("channel_mismatch")
        usage = m.get("usage") or {}
        window = WINDOWS.get(f"{m.get('provider')}/{m.get('model')}")
        prompt = usage.get("input", 0) + usage.get("cacheRead", 0) + usage.get("cacheWrite", 0)
        if role == "assistant" and window and prompt >= 0.8 * window:
            found.add("context_overflow")
    return found


def test_labels_are_exactly_what_the_transcripts_show(demo: tuple[str, Path, DemoTotals]) -> None:
    era, root, totals = demo
    labels = json.loads((root / "demo-totals.json").read_text())["labels"]
    assert labels["format"] == "clawscope-detect-labels/1" and labels["complete"] is False
    seen: dict[str, set[str]] = {}
    for _, _, records in transcripts(root, era):
        sid = records[0]["id"]
        label = labels["sessions"].get(sid)
        key = label["sessionKey"] if label else ""
        ids = {r.get("id") for r in records}
        if label:
            for family, entries in label["entries"].items():
                assert entries and set(entries) <= ids, (sid, family)
                cited = [r for r in records if r.get("id") in set(entries)]
                assert family in observed(cited, key) or (
                    family == "context_overflow" and any(r.get("type") == "compaction" for r in cited)
                ), f"{sid}: the entries cited for {family} do not show it"
            seen[sid] = set(label["families"])
        shows = observed(records, key or _key_of(records))
        assert shows == set(label["families"] if label else ()), (sid, key, shows)
    assert set(labels["sessions"]) == set(seen)
    assert {f for fams in seen.values() for f in fams} >= PLANTED  # a whole failure set was planted
    assert len(seen) < totals.all.sessions / 5  # a small share: the rest stay clean


def _key_of(records: list[dict[str, Any]]) -> str:
    """An unlabelled session's group-ness only matters for PII; the demo's group chats start with
    OpenClaw's sender metadata block."""
    first = next((m for _, m in messages(records) if m.get("role") == "user"), {})
    return ":group:" if "Sender (untrusted metadata)" in text(first) else ""


def test_failures_replace_api_sessions_and_keep_the_count(demo: tuple[str, Path, DemoTotals]) -> None:
    _, _, totals = demo
    assert totals.all.sessions == 160
    labelled_kinds = {s["sessionKey"].split(":")[2] for s in totals.labels.values()}
    assert {"openai", "telegram", "subagent"} <= labelled_kinds
