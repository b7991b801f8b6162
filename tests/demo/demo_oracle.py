"""An independent re-count of a demo state dir, from the files alone (plain json, zstandard, sqlite3).

This is the oracle the generator's own `DemoTotals` are checked against, and the reference the
lead's ingest will later be compared to. It shares no code with `clawscope.demo`: it reads the state
dir the way any reader would (format doc §1–3) and applies the counting rules written in
`clawscope/demo/totals.py`'s docstring. Session kinds come from the session store (the only place
keys live); a transcript no store names is `unknown`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import zstandard

from clawscope.model import KIND_TRIGGER, SessionKind
from clawscope.sources.session_keys import parse_session_key

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
NOT_CALLS = {"gateway-injected", "delivery-mirror"}
ERROR_STATUS = {"error", "failed"}
FIELDS = (
    "messages",
    "llmCalls",
    "errors",
    "toolCalls",
    "toolErrors",
    "tokensIn",
    "tokensOut",
    "cacheRead",
    "cacheWrite",
    "costUSD",
)


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
    dctx = zstandard.ZstdDecompressor()
    rows = conn.execute(
        "SELECT seq, event_json, event_zstd FROM transcript_events WHERE session_id=? ORDER BY seq", (sid,)
    )
    for _seq, text, blob in rows:
        yield json.loads(text if text is not None else dctx.decompress(blob))


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
