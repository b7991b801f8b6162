"""An independent count of an OpenClaw state dir, written with the standard library only.

Tests compare clawscope's ingest with this oracle. It shares no code with clawscope: it reads the
files with `json`, `sqlite3` and `zstandard` and applies the counting rules of the issue directly
(each entry once per (session id, entry id); injected, mirror and `injected` replies are not model
calls; a `tool_call` wrapper counts once under its inner tool's name).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

NOT_CALLS = {"gateway-injected", "delivery-mirror"}


@dataclass
class Count:
    sessions: set[str] = field(default_factory=set)
    llm_calls: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cost: float = 0.0
    tool_calls: int = 0
    tools: Counter[str] = field(default_factory=Counter)
    models: Counter[str] = field(default_factory=Counter)
    model_cost: dict[str, float] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def totals(self) -> dict[str, float]:
        return {
            "sessions": len(self.sessions),
            "llmCalls": self.llm_calls,
            "errors": self.errors,
            "tokensIn": self.tokens_in,
            "tokensOut": self.tokens_out,
            "cacheRead": self.cache_read,
            "cacheWrite": self.cache_write,
            "costUSD": self.cost,
            "toolCalls": self.tool_calls,
        }

    def add(self, session_id: str, record: dict) -> None:
        eid = record.get("id") or json.dumps(record, sort_keys=True)
        if (session_id, eid) in self.seen:
            return
        self.seen.add((session_id, eid))
        self.sessions.add(session_id)
        msg = record.get("message") if record.get("type") == "message" else None
        if not isinstance(msg, dict) or msg.get("role") != "assistant":
            return
        if msg.get("model") in NOT_CALLS or msg.get("stopReason") == "injected":
            return
        if msg.get("provider") is None and msg.get("model") is None and msg.get("usage") is None:
            return
        self.llm_calls += 1
        self.errors += msg.get("stopReason") == "error"
        usage = msg.get("usage") or {}
        self.tokens_in += usage.get("input", 0)
        self.tokens_out += usage.get("output", 0)
        self.cache_read += usage.get("cacheRead", 0)
        self.cache_write += usage.get("cacheWrite", 0)
        cost = (usage.get("cost") or {}).get("total", 0.0)
        self.cost += cost
        model = msg.get("model") or "unknown"
        self.models[model] += 1
        self.model_cost[model] = self.model_cost.get(model, 0.0) + cost
        for block in msg.get("content") or []:
            if isinstance(block, dict) and block.get("type") == "toolCall":
                name = block.get("name")
                args = block.get("arguments") or {}
                if name == "tool_call" and isinstance(args.get("id"), str):
                    name = args["id"].rsplit(":", 1)[-1]
                self.tool_calls += 1
                self.tools[name] += 1


def count_state_dir(state_dir: Path) -> Count:
    count = Count()
    for agent in sorted((state_dir / "agents").iterdir()):
        sessions = agent / "sessions"
        if sessions.is_dir():
            for path in sorted(sessions.iterdir()):
                sid = transcript_session_id(path.name)
                if sid is None:
                    continue
                for line in read_lines(path):
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(record, dict):
                        count.add(sid, record)
        db = agent / "agent" / "openclaw-agent.sqlite"
        if db.is_file():
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            rows = conn.execute(
                "SELECT session_id, event_json, event_zstd FROM transcript_events ORDER BY session_id, seq"
            )
            for sid, event_json, event_zstd in rows:
                raw = (
                    event_json
                    if event_json is not None
                    else zstandard.ZstdDecompressor()
                    .decompress(event_zstd, max_output_size=64 << 20)
                    .decode()
                )
                count.add(sid, json.loads(raw))
            conn.close()
    return count


def transcript_session_id(name: str) -> str | None:
    """Session id of a transcript file (§9 variants), None for files that are not transcripts."""
    if ".trajectory" in name or name.endswith(".lock") or ".jsonl" not in name:
        return None
    if ".checkpoint." in name:
        return name.split(".checkpoint.", maxsplit=1)[0]
    return name.split(".jsonl", maxsplit=1)[0]


def read_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.name.endswith(".zst"):
        data = zstandard.ZstdDecompressor().stream_reader(data).read()
    return [ln for ln in data.decode("utf-8", "replace").split("\n") if ln.strip()]


def state_dir_size(path: Path) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
