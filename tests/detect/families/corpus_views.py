"""SessionViews built by hand from the committed detection corpus, for the family tests of this branch.

The store builds the real views (`clawscope.store`); these tests build them straight from the recorded
records (JSONL files of 2026.7.35, `transcript_events` of 2026.9.6, the session registries for status,
parent and depth, the workspace Markdown files), so each family can be tested on real OpenClaw records
without the ingest pipeline. Only what the families of this branch read is filled in.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import zstandard

from clawscope.model.detection import EntryView, SessionInfo, SessionView, ToolUse

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "detect"
ERAS = ("openclaw-2026.7.35", "openclaw-2026.9.6")


@cache
def labels(era: str) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((ROOT / era / "labels.json").read_text())["sessions"]
    return data


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def _ts(rec: dict[str, Any]) -> int | None:
    from clawscope.timeutil import parse_iso_ms

    ts = rec.get("timestamp")
    return parse_iso_ms(ts) if isinstance(ts, str) else None


def _records(era: str, agent: str, session_id: str) -> list[dict[str, Any]]:
    state = ROOT / era / "state"
    if era.endswith("7.35"):
        path = state / "agents" / agent / "sessions" / f"{session_id}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    db = sqlite3.connect(state / "agents" / agent / "agent" / "openclaw-agent.sqlite")
    out = []
    rows = db.execute(
        "select event_json, event_zstd from transcript_events where session_id=? order by seq", (session_id,)
    )
    for ej, blob in rows:
        raw = ej if ej else zstandard.ZstdDecompressor().decompress(blob).decode()
        out.append(json.loads(raw))
    db.close()
    return out


@cache
def _registry(era: str) -> dict[str, dict[str, Any]]:
    """session key -> {sessionId, status, parent, depth, agent} over every agent of the era."""
    state = ROOT / era / "state"
    out: dict[str, dict[str, Any]] = {}
    for agent_dir in sorted((state / "agents").iterdir()):
        agent = agent_dir.name
        if era.endswith("7.35"):
            entries = json.loads((agent_dir / "sessions" / "sessions.json").read_text())
        else:
            db = sqlite3.connect(agent_dir / "agent" / "openclaw-agent.sqlite")
            entries = {}
            for key, status, ej in db.execute("select session_key, status, entry_json from session_nodes"):
                e = json.loads(ej)
                e["status"] = status or e.get("status")
                entries[key] = e
            db.close()
        for key, e in entries.items():
            out[key.lower()] = {
                "sessionId": e.get("sessionId"),
                "status": e.get("status"),
                "parent": (e.get("parentSessionKey") or e.get("spawnedBy") or None),
                "depth": e.get("spawnDepth"),
                "agent": agent,
                "started": e.get("startedAt") or e.get("sessionStartedAt"),
                "ended": e.get("lastActivityAt") or e.get("updatedAt"),
            }
    return out


def _last_reply(era: str, agent: str, session_id: str) -> str | None:
    for rec in reversed(_records(era, agent, session_id)):
        msg = rec.get("message") if isinstance(rec.get("message"), dict) else {}
        if msg.get("role") == "assistant" and _text(msg.get("content")).strip():
            return _text(msg.get("content"))
    return None


def _info(era: str, key: str, child: bool = False) -> SessionInfo:
    r = _registry(era)[key]
    parts = key.split(":")
    chat = parts[3] if len(parts) > 4 and parts[3] in ("group", "channel", "direct", "dm") else None
    return SessionInfo(
        session_id=str(r["sessionId"]),
        instance=era,
        agent=r["agent"],
        key=key,
        channel=parts[2] if len(parts) > 2 else None,
        chat_type=chat,
        parent_key=r["parent"],
        spawn_depth=r["depth"],
        status=r["status"],
        started_ms=r["started"],
        last_ms=r["ended"],
        result_text=_last_reply(era, r["agent"], str(r["sessionId"])) if child else None,
    )


def _unwrap(block: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name, args = str(block.get("name")), block.get("arguments")
    args = args if isinstance(args, dict) else {}
    if name == "tool_call" and isinstance(args.get("id"), str):
        inner = args.get("args")
        return args["id"], inner if isinstance(inner, dict) else {}
    return name, args


def _run_id(rec: dict[str, Any]) -> str | None:
    msg = rec.get("message") if isinstance(rec.get("message"), dict) else {}
    meta = msg.get("__openclaw") if isinstance(msg.get("__openclaw"), dict) else {}
    rid = rec.get("runId") or meta.get("runId")
    return str(rid) if rid else None


@cache
def view(era: str, session_id: str) -> SessionView:
    lab = labels(era)[session_id]
    key = str(lab["sessionKey"]).lower()
    recs = _records(era, lab["agent"], session_id)
    entries, calls, results = [], [], {}
    for pos, rec in enumerate(recs):
        msg = rec.get("message") if isinstance(rec.get("message"), dict) else {}
        entries.append(
            EntryView(
                entry_id=str(rec.get("id")),
                pos=pos,
                type=str(rec.get("type")),
                role=msg.get("role"),
                ts_ms=_ts(rec),
                text=_text(msg.get("content")),
                record=rec,
                run_id=_run_id(rec),
            )
        )
        if msg.get("role") == "assistant" and isinstance(msg.get("content"), list):
            for b in msg["content"]:
                if isinstance(b, dict) and b.get("type") == "toolCall":
                    calls.append((str(rec.get("id")), _ts(rec), b))
        if msg.get("role") == "toolResult":
            results[str(msg.get("toolCallId"))] = (str(rec.get("id")), msg)
    tools = []
    for eid, ts, b in calls:
        name, args = _unwrap(b)
        rid, res = results.get(str(b.get("id")), (None, {}))
        details = res.get("details") if isinstance(res.get("details"), dict) else {}
        code = details.get("exitCode")
        err = (
            bool(res.get("isError")) or details.get("status") in ("error", "failed") or code not in (None, 0)
        )
        tools.append(
            ToolUse(
                call_id=str(b.get("id")),
                call_entry_id=eid,
                result_entry_id=rid,
                ts_ms=ts,
                name=name,
                arguments=args,
                status="pending" if rid is None else ("error" if err else "ok"),
                exit_code=code if isinstance(code, int) else None,
                output_text=_text(res.get("content")),
                exec_command=args.get("command") if name == "exec" else None,
            )
        )
    reg = _registry(era)
    children = tuple(
        _info(era, k, child=True)
        for k, r in sorted(reg.items())
        if r["parent"] and r["parent"].lower() == key
    )
    info = _info(era, key)
    ws = ROOT / era / "state" / ("workspace" if lab["agent"] == "main" else f"workspace-{lab['agent']}")
    files = {p.name: p.read_text() for p in sorted(ws.glob("*.md"))} if ws.is_dir() else {}
    return SessionView(
        session=info,
        entries=tuple(entries),
        tools=tuple(tools),
        children=children,
        known_session_keys=frozenset(reg),
        workspace_files=files,
    )


def scenario(era: str, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(session id, label) of every session of a scenario session name (exact match)."""
    for sid, lab in labels(era).items():
        if lab["session"] == name:
            yield sid, lab


def one(era: str, name: str) -> tuple[SessionView, dict[str, Any]]:
    sid, lab = next(scenario(era, name))
    return view(era, sid), lab


def all_views(era: str) -> Iterator[tuple[SessionView, dict[str, Any]]]:
    for sid, lab in labels(era).items():
        yield view(era, sid), lab


_ = re  # kept for callers that filter scenario names
