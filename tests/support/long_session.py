"""A long OpenClaw transcript written as OpenClaw writes it (JSONL, format of the 2026.3.24 fixture): a
session header, then turns of a user message, an assistant message with a priced call, a tool call and
its result. Spread over two UTC days; one tool output is 1,500 lines; one model call fails with HTTP 500
and is retried. Used by the replay tests and by bench/replay.py."""

from __future__ import annotations

import json
from pathlib import Path

START_MS = 1_795_200_000_000  # 2026-11-20T15:20:00Z
WORD = "needle-{:05d}"  # a word only entry i holds, for the search tests


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


SESSION_ID = "10000000-0000-4000-8000-000000005000"


def write_session(state_dir: Path, entries: int, session_id: str = SESSION_ID) -> str:
    """Write a session of `entries` entries under `state_dir/agents/main/sessions/`; return its id."""
    folder = state_dir / "agents" / "main" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    step = 2 * 86_400_000 // max(entries, 1)  # two days from first to last
    lines = [{"type": "session", "version": 3, "id": session_id, "timestamp": _iso(START_MS), "cwd": "/w"}]
    parent = None
    for i in range(1, entries):
        ms = START_MS + i * step
        eid = f"e{i:07d}"
        rec = {"id": eid, "parentId": parent, "timestamp": _iso(ms), "type": "message"}
        phase = i % 4
        if phase == 1:
            rec["message"] = {"role": "user", "content": [{"type": "text", "text": f"task {WORD.format(i)}"}]}
        elif phase == 2:
            failed = i == 6
            rec["message"] = {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": f"thinking about {i}"},
                    {"type": "text", "text": "" if failed else f"reply {WORD.format(i)}"},
                    {"type": "toolCall", "id": f"c{i}", "name": "exec", "arguments": {"command": "ls"}},
                ],
                "provider": "fake",
                "model": "fake-model",
                "usage": {"input": 100, "output": 10, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 110,
                          "cost": {"input": 0.001, "output": 0.0001, "cacheRead": 0, "cacheWrite": 0,
                                   "total": 0.0011}},
                "stopReason": "error" if failed else "toolUse",
                "timestamp": ms,
            }  # fmt: skip
            if failed:
                rec["message"]["errorMessage"] = "HTTP 500: upstream error"
        elif phase == 3:
            big = i == 7
            out = "\n".join(f"line {n}" for n in range(1500)) if big else f"output {WORD.format(i)}"
            rec["message"] = {
                "role": "toolResult", "toolCallId": f"c{i - 1}", "toolName": "exec",
                "content": [{"type": "text", "text": out}], "isError": False, "timestamp": ms,
            }  # fmt: skip
        else:
            rec["message"] = {
                "role": "assistant",
                "content": [{"type": "text", "text": f"done {WORD.format(i)}"}],
                "provider": "fake",
                "model": "fake-model",
                "usage": {"input": 120, "output": 12, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 132,
                          "cost": {"input": 0.0012, "output": 0.00012, "cacheRead": 0, "cacheWrite": 0,
                                   "total": 0.00132}},
                "stopReason": "stop",
                "timestamp": ms,
            }  # fmt: skip
        if i == 10:  # the retry of the failed call at entry 6: same parent
            rec["parentId"] = "e0000005"
        lines.append(rec)
        parent = eid
    path = folder / f"{session_id}.jsonl"
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in lines))
    return session_id
