"""The one oracle: an independent count of an OpenClaw state dir, from the files alone.

Tests compare clawscope's ingest, and the demo generator's own totals, with it. It reads the files with
`json`, `sqlite3` and `zstandard` and applies the counting rules directly (each entry once per
(session id, entry id); injected, mirror and `injected` replies are not model calls; a `tool_call`
wrapper counts once under its inner tool's name); it shares no code with the ingest it checks.

`count_state_dir` counts any state dir (both eras; what ingest must find). `recount` re-counts a demo
state dir in the `demo-totals.json` shape (per model, agent, session kind, trigger and tool), with the
rules of `clawscope/demo/totals.py`'s docstring; it takes session kinds from the session store (the
only place keys live) through the session-key grammar, and calls a transcript no store names
`unknown`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard

from clawscope.model import KIND_TRIGGER, SessionKind
from clawscope.sources.session_keys import parse_session_key

NOT_CALLS = {"gateway-injected", "delivery-mirror"}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The session keys a demo may write (format doc §3).
KEY = re.compile(
    rf"^agent:[a-z0-9]+:(main|openai:{UUID}|subagent:{UUID}|cron:{UUID}(:run:{UUID})?"
    r"|(telegram|whatsapp):group:[-0-9a-z@.]+(:topic:\d+)?|(discord|slack):channel:[0-9a-z]+)$"
)
HEARTBEAT_PROMPT = (
    "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or repeat old "
    "tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK."
)
ERROR_STATUS = {"error", "failed"}
FIELDS = ("messages", "llmCalls", "errors", "toolCalls", "toolErrors", "tokensIn", "tokensOut")
FIELDS += ("cacheRead", "cacheWrite", "costUSD")


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
                count.add(sid, json.loads(event_text(event_json, event_zstd)))
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


def event_text(event_json: str | None, event_zstd: bytes | None) -> str | bytes:
    """A `transcript_events` row's record: its JSON, or its zstd-compressed JSON (large rows)."""
    if event_json is not None:
        return event_json
    assert event_zstd is not None
    return zstandard.ZstdDecompressor().decompress(event_zstd, max_output_size=64 << 20)


def state_dir_size(path: Path) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


# -- the demo state dirs, in the demo-totals.json shape ---------------------------------------------


def _group() -> dict[str, Any]:
    return {"sessions": 0, **dict.fromkeys(FIELDS, 0), "costUSD": 0.0}


class Recount:
    """Totals recomputed from records, in the `demo-totals.json` shape."""

    def __init__(self) -> None:
        self.all = _group()
        self.extra = dict.fromkeys(
            ("records", "compactions", "heartbeatTurns", "nonModelAssistant", "zstdRows"), 0
        )
        self.by: dict[str, dict[str, dict[str, Any]]] = {
            d: defaultdict(_group) for d in ("byModel", "byAgent", "bySessionKind", "byTrigger")
        }
        self.by_tool: dict[str, dict[str, int]] = defaultdict(lambda: {"calls": 0, "errors": 0})
        self.session_ids: set[str] = set()

    # -- one session ------------------------------------------------------------------------------

    def session(self, agent: str, kind: str, records: Iterator[dict[str, Any]]) -> None:
        default = KIND_TRIGGER[SessionKind(kind)].value if kind != "unknown" else "other"
        trigger = default
        triggers: set[str] = set()
        models: set[str] = set()
        pending: dict[str, tuple[str, str, str]] = {}  # call id -> (tool, model, trigger)
        sid = None
        for rec in records:
            self.extra["records"] += 1
            rtype = rec.get("type")
            if rtype == "session":
                sid = rec["id"]
            elif rtype == "compaction":
                self.extra["compactions"] += 1
            if rtype != "message":
                continue
            msg = rec["message"]
            role = msg.get("role")
            if role == "user":
                text = msg["content"] if isinstance(msg["content"], str) else msg["content"][0]["text"]
                if text == HEARTBEAT_PROMPT:
                    trigger = "heartbeat"
                    self.extra["heartbeatTurns"] += 1
                elif "[Internal task completion event]" in text and "source: subagent" in text:
                    trigger = "subagent"
                else:
                    trigger = default
            run_id = (msg.get("__openclaw") or {}).get("runId", "")
            if role == "assistant" and run_id.startswith("announce:v1:"):
                trigger = "subagent"  # v4 announce runs carry no user message
            triggers.add(trigger)
            model = None
            if role == "assistant":
                if (
                    msg.get("stopReason") == "injected"
                    or msg.get("model") in NOT_CALLS
                    or not msg.get("provider")
                ):
                    self.extra["nonModelAssistant"] += 1
                else:
                    model = f"{msg['provider']}/{msg['model']}"
                    models.add(model)
            groups = [
                self.all,
                self.by["byAgent"][agent],
                self.by["bySessionKind"][kind],
                self.by["byTrigger"][trigger],
            ]
            counted = groups + ([self.by["byModel"][model]] if model else [])
            for g in counted:
                g["messages"] += 1
            if model:
                self._call(msg, counted, model, trigger, pending)
            elif role == "toolResult":
                self._result(msg, pending, agent, kind)
        assert sid is not None, "transcript without header"
        assert not pending, f"tool calls without result in {sid}: {sorted(pending)}"
        self.session_ids.add(sid)
        self.all["sessions"] += 1
        self.by["byAgent"][agent]["sessions"] += 1
        self.by["bySessionKind"][kind]["sessions"] += 1
        for t in triggers:
            self.by["byTrigger"][t]["sessions"] += 1
        for m in models:
            self.by["byModel"][m]["sessions"] += 1

    def _call(
        self,
        msg: dict[str, Any],
        groups: list[dict[str, Any]],
        model: str,
        trigger: str,
        pending: dict[str, tuple[str, str, str]],
    ) -> None:
        u = msg["usage"]
        for g in groups:
            g["llmCalls"] += 1
            g["errors"] += msg.get("stopReason") == "error"
            g["tokensIn"] += u["input"]
            g["tokensOut"] += u["output"]
            g["cacheRead"] += u["cacheRead"]
            g["cacheWrite"] += u["cacheWrite"]
            g["costUSD"] += u["cost"]["total"]
        for block in msg["content"]:
            if block["type"] != "toolCall":
                continue
            name = block["name"]
            if name == "tool_call":
                name = block["arguments"]["id"]
            pending[block["id"]] = (name, model, trigger)

    def _result(
        self, msg: dict[str, Any], pending: dict[str, tuple[str, str, str]], agent: str, kind: str
    ) -> None:
        name, model, trigger = pending.pop(msg["toolCallId"])
        status = (msg.get("details") or {}).get("status")
        failed = msg.get("isError") is True or status in ERROR_STATUS
        for g in (
            self.all,
            self.by["byAgent"][agent],
            self.by["bySessionKind"][kind],
            self.by["byTrigger"][trigger],
            self.by["byModel"][model],
        ):
            g["toolCalls"] += 1
            g["toolErrors"] += failed
        self.by_tool[name]["calls"] += 1
        self.by_tool[name]["errors"] += failed

    def as_dict(self) -> dict[str, Any]:
        def clean(g: dict[str, Any]) -> dict[str, Any]:
            return {**g, "costUSD": round(g["costUSD"], 10)}

        return {
            **clean(self.all),
            **self.extra,
            **{d: {k: clean(v) for k, v in sorted(m.items())} for d, m in self.by.items()},
            "byTool": dict(sorted(self.by_tool.items())),
        }


# -- the two eras ---------------------------------------------------------------------------------


def _most_specific(keys: list[str]) -> str:
    kinds = [parse_session_key(k).kind for k in keys]
    return (SessionKind.CRON_RUN if SessionKind.CRON_RUN in kinds else kinds[0]).value


def recount_jsonl(root: Path) -> Recount:
    rc = Recount()
    for agent_dir in sorted((root / "agents").iterdir()):
        folder = agent_dir / "sessions"
        store = json.loads((folder / "sessions.json").read_text("utf-8"))
        keys: dict[str, list[str]] = defaultdict(list)
        for key, entry in store.items():
            keys[entry["sessionId"]].append(key)
        for path in sorted(folder.iterdir()):
            if path.name == "sessions.json":
                continue
            assert path.name.endswith(".jsonl") or ".jsonl.reset." in path.name, path.name
            with path.open("rb") as fh:
                first = json.loads(fh.readline())
            sid = first["id"]
            kind = _most_specific(keys[sid]) if sid in keys else "unknown"
            rc.session(agent_dir.name, kind, _lines(path))
    return rc


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for line in fh:
            yield json.loads(line)


def recount_sqlite(root: Path) -> Recount:
    rc = Recount()
    for agent_dir in sorted((root / "agents").iterdir()):
        db = agent_dir / "agent" / "openclaw-agent.sqlite"
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rc.extra["zstdRows"] += conn.execute(
                "SELECT count(*) FROM transcript_events WHERE event_zstd IS NOT NULL"
            ).fetchone()[0]
            windows = conn.execute(
                "SELECT session_id, session_key FROM session_windows ORDER BY session_id"
            ).fetchall()
            for sid, key in windows:
                rc.session(agent_dir.name, _most_specific([key]), _events(conn, sid))
        finally:
            conn.close()
    return rc


def _events(conn: sqlite3.Connection, sid: str) -> Iterator[dict[str, Any]]:
    rows = conn.execute(
        "SELECT event_json, event_zstd FROM transcript_events WHERE session_id=? ORDER BY seq", (sid,)
    )
    for text, blob in rows:
        yield json.loads(event_text(text, blob))


def recount(root: Path, era: str) -> dict[str, Any]:
    return (recount_jsonl(root) if era == "jsonl" else recount_sqlite(root)).as_dict()


def transcripts(root: Path, era: str) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """Every transcript of a demo dir as (agent id, file name or session id, records in order)."""
    for agent_dir in sorted((root / "agents").iterdir()):
        if era == "jsonl":
            for path in sorted((agent_dir / "sessions").iterdir()):
                if path.name != "sessions.json":
                    yield agent_dir.name, path.name, list(_lines(path))
            continue
        conn = sqlite3.connect(f"file:{agent_dir / 'agent' / 'openclaw-agent.sqlite'}?mode=ro", uri=True)
        try:
            for (sid,) in conn.execute(
                "SELECT session_id FROM session_windows ORDER BY session_id"
            ).fetchall():
                yield agent_dir.name, sid, list(_events(conn, sid))
        finally:
            conn.close()
