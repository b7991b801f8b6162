"""SessionViews built straight from recorded state dirs, for the family tests (an independent oracle).

The store's own view builder is another helper's work; until it is merged, and as a check that the
detectors do not depend on its particular choices, these tests read the committed recordings with
`clawscope.sources.export` (both eras, every record verbatim) and join tool calls to their results
here, the way OpenClaw's format document describes them (`tool_call` wrappers unwrapped, exec
outcomes taken from `details`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from clawscope.model import SessionMeta
from clawscope.model.detection import (
    CompactionView,
    EntryView,
    ModelCallView,
    SessionInfo,
    SessionView,
    ToolUse,
)
from clawscope.sources.export import sessions
from clawscope.timeutil import parse_iso_ms

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "fixtures" / "detect"
SAMPLES = Path("/work/shared/samples")
RELEASES = ("openclaw-2026.7.35", "openclaw-2026.9.6")


@dataclass
class Corpus:
    views: dict[str, SessionView]
    labels: dict[str, dict[str, Any]]  # session id → its labels.json entry

    def scenario(self, name: str) -> SessionView:
        """The view of the scenario session `name` (e.g. "loop/identical-exec")."""
        for sid, lab in self.labels.items():
            if lab["session"] == name:
                return self.views[sid]
        raise KeyError(name)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def _merge(metas: list[SessionMeta]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in metas:
        for field in m.__struct_fields__:
            v = getattr(m, field)
            if v is not None and out.get(field) is None:
                out[field] = v
    return out


def _unwrap(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if name == "tool_call" and isinstance(args.get("id"), str):
        inner = args.get("args")
        return args["id"].rsplit(":", 1)[-1], inner if isinstance(inner, dict) else {}
    return name, args


def _result_status(msg: dict[str, Any]) -> tuple[str, int | None, str | None]:
    details: dict[str, Any] = msg["details"] if isinstance(msg.get("details"), dict) else {}
    exit_code = details.get("exitCode") if isinstance(details.get("exitCode"), int) else None
    dstatus = str(details.get("status") or "")
    text = _text(msg.get("content"))
    if msg.get("isError") or dstatus in ("error", "failed", "forbidden", "timeout"):
        return "error", exit_code, str(details.get("error") or text)[:500]
    return "ok", exit_code, None


def build(records: list[dict[str, Any]], info: SessionInfo) -> SessionView:
    entries: list[EntryView] = []
    calls: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    results: dict[str, tuple[str, dict[str, Any], int | None]] = {}
    model_calls: list[ModelCallView] = []
    compactions: list[CompactionView] = []
    cwd = None
    for pos, r in enumerate(records):
        if r.get("type") == "session":
            cwd = r.get("cwd")
            continue
        eid = r.get("id")
        if not isinstance(eid, str):
            continue
        ts = parse_iso_ms(r["timestamp"]) if isinstance(r.get("timestamp"), str) else None
        msg: dict[str, Any] = r["message"] if isinstance(r.get("message"), dict) else {}
        role = msg.get("role")
        run = (msg.get("__openclaw") or {}).get("runId") if isinstance(msg.get("__openclaw"), dict) else None
        entries.append(EntryView(eid, pos, r.get("type", ""), role, ts, _text(msg.get("content")), r, run))
        if r.get("type") == "compaction":
            compactions.append(CompactionView(eid, ts, r.get("tokensBefore")))
        if role == "assistant":
            for b in msg.get("content") or []:
                if isinstance(b, dict) and b.get("type") == "toolCall":
                    name, args = _unwrap(str(b.get("name")), b.get("arguments") or {})
                    calls[b["id"]] = {"entry": eid, "ts": ts, "name": name, "args": args}
                    order.append(b["id"])
            u = msg.get("usage") or {}
            if msg.get("provider") != "openclaw":
                model_calls.append(
                    ModelCallView(
                        eid,
                        ts,
                        msg.get("provider"),
                        msg.get("model"),
                        msg.get("stopReason"),
                        msg.get("errorMessage"),
                        int(u.get("input") or 0),
                        int(u.get("cacheRead") or 0),
                        int(u.get("cacheWrite") or 0),
                        int(u.get("output") or 0),
                    )
                )
        elif role == "toolResult" and isinstance(msg.get("toolCallId"), str):
            results[msg["toolCallId"]] = (eid, msg, ts)
    tools = []
    for cid in order:
        c = calls[cid]
        res = results.get(cid)
        args = c["args"]
        ex = c["name"] in ("exec", "bash")
        if res is None:
            status, code, err, out, rid = "pending", None, None, "", None
        else:
            rid, msg, _ = res
            status, code, err = _result_status(msg)
            out = _text(msg.get("content"))[:20000]
        tools.append(
            ToolUse(
                cid,
                c["entry"],
                rid,
                c["ts"],
                c["name"],
                args,
                status,
                code,
                err,
                out,
                exec_command=args.get("command") if ex and isinstance(args.get("command"), str) else None,
                exec_elevated=args.get("elevated") if ex and isinstance(args.get("elevated"), bool) else None,
                exec_host=args.get("host") if ex else None,
                exec_security=args.get("security") if ex else None,
            )
        )
    info = SessionInfo(**{**{f: getattr(info, f) for f in info.__struct_fields__}, "cwd": cwd or info.cwd})
    return SessionView(info, tuple(entries), tuple(tools), tuple(model_calls), tuple(compactions))


def _info(sid: str, m: dict[str, Any], instance: str) -> SessionInfo:
    key = m.get("key")
    return SessionInfo(
        session_id=sid,
        instance=instance,
        agent=m.get("agent_id"),
        key=key.lower() if isinstance(key, str) else None,
        kind=str(m["kind"]) if m.get("kind") else None,
        channel=m.get("channel"),
        chat_type=m.get("chat_type"),
        parent_key=m.get("parent_key"),
        spawn_depth=m.get("spawn_depth"),
        status=m.get("status"),
        model=m.get("model"),
        provider=m.get("model_provider"),
        elevated_level=m.get("elevated_level"),
        started_ms=m.get("started_ms"),
    )


def load_state(state: Path, instance: str) -> dict[str, SessionView]:
    raw: dict[str, tuple[list[dict[str, Any]], SessionInfo]] = {}
    for s in sessions(state, 1e13, 0):
        recs = [orjson.loads(b) for p in s.parts for b in p.records]
        raw[s.session_id] = (
            [r for r in recs if isinstance(r, dict)],
            _info(s.session_id, _merge(s.metas), instance),
        )
    by_key = {info.key: info for _, info in raw.values() if info.key}
    views = {}
    for sid, (recs, info) in raw.items():
        v = build(recs, info)
        ancestors = []
        seen = {info.key}
        parent = by_key.get(info.parent_key or "")
        while parent is not None and parent.key not in seen:
            ancestors.append(parent)
            seen.add(parent.key)
            parent = by_key.get(parent.parent_key or "")
        children = tuple(i for i in by_key.values() if i.parent_key and i.parent_key == info.key)
        views[sid] = SessionView(
            v.session,
            v.entries,
            v.tools,
            v.model_calls,
            v.compactions,
            children,
            tuple(ancestors),
            frozenset(by_key),
        )
    return views


@cache
def corpus(release: str) -> Corpus:
    folder = CORPUS / release
    labels = json.loads((folder / "labels.json").read_text())["sessions"]
    return Corpus(load_state(folder / "state", release), labels)


@cache
def samples() -> dict[str, SessionView]:
    out: dict[str, SessionView] = {}
    for d in sorted(SAMPLES.glob("openclaw-*")):
        out.update(load_state(d, d.name))
    return out
