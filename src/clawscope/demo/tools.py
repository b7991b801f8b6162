"""Tool calls and their results, in the shapes OpenClaw's tools return them.

OpenClaw's own tools answer with `jsonResult(payload)`: the text is the payload pretty-printed, the
`details` the payload itself (observed for `sessions_spawn`); pi's file tools answer with plain text;
`exec` answers with the output and `details{status, exitCode, durationMs, aggregated, cwd}`.
Failures come in the three styles real transcripts show (format doc §2.4, §9.1):
* `isError:true` with no details (a tool that threw);
* `isError:true` with `details.status:"error"|"failed"` (2026.7+ reads, failed commands);
* `isError:false` with `details.status:"error"` (2026.3.x reads of a missing file).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import orjson

from clawscope.demo import phrases
from clawscope.demo.catalog import TOOL_LABELS

HOME = "/home/claw"
WORKSPACE = HOME + "/.openclaw/workspace"
_ANSI_OUT = (
    "\x1b[1m> garden-bot@1.4.2 test\x1b[22m\n\n"
    + "".join(
        f" \x1b[32m✓\x1b[39m tests/{name}.test.ts \x1b[2m({n} tests)\x1b[22m \x1b[33m{n * 7}ms\x1b[39m\n"
        for name, n in (
            ("valves", 6),
            ("schedule", 9),
            ("sensors", 12),
            ("weather", 4),
            ("api", 15),
            ("mqtt", 8),
            ("config", 5),
            ("history", 11),
            ("alerts", 7),
            ("ui", 10),
        )
    )
    + "\n\x1b[2m Test Files \x1b[22m \x1b[1m\x1b[32m10 passed\x1b[39m\x1b[22m\n"
)


@dataclass(slots=True)
class ToolOutcome:
    """One executed tool: what the model sent, what came back, and whether it failed."""

    name: str
    args: dict[str, Any]
    text: str
    details: dict[str, Any] | None
    is_error_flag: bool  # the `isError` field as written
    failed: bool  # the real outcome (isError OR details.status says error)
    duration_ms: int


def document(rng: random.Random, paragraphs: int) -> str:
    """A few KB of ordinary prose (web pages, files): compressible like the real thing."""
    parts = []
    for i in range(paragraphs):
        parts.append(f"## {i + 1}. " + rng.choice(phrases.PARAGRAPHS).split(".")[0])
        parts.append(rng.choice(phrases.PARAGRAPHS))
    return "\n\n".join(parts)


def _json_result(name: str, payload: dict[str, Any], ms: int) -> ToolOutcome:
    text = orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()
    return ToolOutcome(name, {}, text, payload, False, False, ms)


def _exec(rng: random.Random, version: int, risky: bool, fail: bool, ansi: bool) -> ToolOutcome:
    if fail:
        cmd, out, code = rng.choice(phrases.FAILED_COMMANDS)
    elif ansi:
        cmd, out, code = "npm test -- --color", _ANSI_OUT, 0
    else:
        cmd, out = rng.choice(phrases.EXEC_COMMANDS)
        code = 0
    args: dict[str, Any] = {"command": cmd}
    if risky:  # the elevated escape hatch (format doc §5)
        args.update(
            rng.choice(({"elevated": True}, {"host": "gateway"}, {"elevated": True, "host": "gateway"}))
        )
    elif rng.random() < 0.25:
        args["workdir"] = rng.choice((WORKSPACE, HOME + "/code/garden-bot", HOME + "/blog"))
    ms = rng.randint(8, 900) if not fail else rng.randint(200, 6000)
    details: dict[str, Any] = {"status": "failed" if fail else "completed", "exitCode": code}
    if version >= 4:
        details.update({"exitSignal": None, "exitReason": "exit"})
    details.update({"durationMs": ms, "aggregated": out})
    if version >= 4:
        details["noOutputTimedOut"] = False
    details["cwd"] = args.get("workdir", WORKSPACE)
    text = out + (f"\n\n(Command exited with code {code})" if fail else "")
    return ToolOutcome("exec", args, text, details, fail, fail, ms)


def _read(rng: random.Random, version: int, fail: bool, big: bool) -> ToolOutcome:
    if fail:
        path = rng.choice(phrases.MISSING_FILES).replace("~", HOME)
        err = f"ENOENT: no such file or directory, access '{path}'"
        details = {"status": "error", "tool": "read", "error": err}
        text = orjson.dumps(details, option=orjson.OPT_INDENT_2).decode()
        # 2026.3.x wrote a failed read as a success carrying an error status; 2026.7+ flags it.
        return ToolOutcome("read", {"path": path}, text, details, version >= 4, True, rng.randint(1, 6))
    path = rng.choice(("NOTES.md", "MEMORY.md", "~/docs/renovation.md", "~/code/garden-bot/README.md"))
    text = document(rng, rng.randint(6, 14) if big else rng.randint(1, 3))
    return ToolOutcome("read", {"path": path}, text, None, False, False, rng.randint(1, 25))


def _web_fetch(rng: random.Random, fail: bool, big: bool, bare: bool) -> ToolOutcome:
    url = rng.choice(phrases.URLS)
    if fail:
        status = rng.choice((403, 404, 503))
        text = f"Web fetch failed ({status}): {url}"
        details = None if bare else {"status": "error", "error": text}
        return ToolOutcome("web_fetch", {"url": url}, text, details, True, True, rng.randint(200, 4000))
    body = document(rng, rng.randint(5, 12) if big else rng.randint(2, 4))
    ms = rng.randint(300, 3500)
    payload = {
        "url": url,
        "finalUrl": url,
        "status": 200,
        "contentType": "text/html",
        "extractMode": "markdown",
        "extractor": "readability",
        "truncated": False,
        "length": len(body),
        "tookMs": ms,
        "text": body,
    }
    out = _json_result("web_fetch", payload, ms)
    out.args = {"url": url, "extractMode": "markdown"}
    return out


def _web_search(rng: random.Random) -> ToolOutcome:
    query = rng.choice(phrases.CHATS)[0].rstrip("?.").lower()
    ms = rng.randint(400, 2500)
    results = [
        {
            "title": rng.choice(phrases.PARAGRAPHS).split(".")[0][:60],
            "url": u,
            "description": rng.choice(phrases.PARAGRAPHS)[:160],
        }
        for u in rng.sample(phrases.URLS, 3)
    ]
    out = _json_result(
        "web_search", {"query": query, "provider": "brave", "count": 3, "tookMs": ms, "results": results}, ms
    )
    out.args = {"query": query, "count": 3}
    return out


def _memory(rng: random.Random, name: str) -> ToolOutcome:
    day = f"memory/2026-{rng.randint(6, 11):02d}-{rng.randint(1, 28):02d}.md"
    if name == "memory_get":
        out = _json_result(name, {"path": day, "text": document(rng, 1)}, rng.randint(2, 30))
        out.args = {"path": day}
        return out
    query = rng.choice(("kitchen renovation", "budget", "wifi password", "trip", "backup"))
    hits = [
        {
            "path": day,
            "startLine": rng.randint(1, 40),
            "endLine": rng.randint(41, 80),
            "score": round(rng.uniform(0.3, 0.9), 3),
            "snippet": rng.choice(phrases.PARAGRAPHS)[:200],
        }
    ]
    out = _json_result(
        name, {"results": hits, "provider": "openai", "model": "text-embedding-3-small"}, rng.randint(40, 400)
    )
    out.args = {"query": query}
    return out


def _file_tool(rng: random.Random, name: str) -> ToolOutcome:
    """pi's file tools (`edit`, `write`, `apply_patch`, `ls`) answer in plain text, without details."""
    ms = rng.randint(5, 600)
    path = rng.choice(("NOTES.md", "todo.md", "posts/2026-03-solar.md", "src/water.py"))
    if name == "edit":
        args: dict[str, Any] = {"path": path, "oldText": "TODO", "newText": "DONE"}
        text = f"Successfully replaced text in {path}."
    elif name == "write":
        args = {"path": path, "content": rng.choice(phrases.CHATS)[1]}
        text = f"Successfully wrote {len(args['content'])} bytes to {path}"
    elif name == "apply_patch":
        args = {"input": f"*** Begin Patch\n*** Update File: {path}\n@@\n-TODO\n+DONE\n*** End Patch"}
        text = f"Success. Updated the following files:\nM {path}"
    else:
        args = {"path": "."}
        text = (
            "AGENTS.md\nHEARTBEAT.md\nIDENTITY.md\nMEMORY.md\nNOTES.md\nSOUL.md\nTOOLS.md\nUSER.md\nmemory/"
        )
    return ToolOutcome(name, args, text, None, False, False, ms)


def _json_tool(rng: random.Random, name: str) -> ToolOutcome:
    """OpenClaw's other tools: a small JSON answer (`jsonResult`)."""
    jobs = [{"name": j[0], "enabled": True} for j in phrases.CRON_JOBS[:2]]
    args: dict[str, Any]
    match name:
        case "message":
            args = {
                "action": "send",
                "channel": "telegram",
                "target": "-1001873345501",
                "message": rng.choice(phrases.CRON_JOBS)[2],
            }
            payload: dict[str, Any] = {
                "ok": True,
                "channel": "telegram",
                "messageId": str(rng.randint(1000, 99999)),
            }
        case "browser":
            args = {"action": "snapshot", "targetUrl": rng.choice(phrases.URLS)}
            payload = {"ok": True, "title": "Page", "snapshot": document(rng, 2)}
        case "process":
            args = {"action": "poll", "sessionId": f"proc_{rng.randint(100, 999)}"}
            payload = {"status": "completed", "exitCode": 0, "output": "done"}
        case "sessions_list":
            args, payload = (
                {"limit": 10},
                {"count": 1, "sessions": [{"key": "agent:main:main", "kind": "direct"}]},
            )
        case "cron" | "automations":
            args, payload = {"action": "list"}, {"jobs" if name == "cron" else "automations": jobs}
        case "tool_search":
            args = {"query": "fetch a web page"}
            payload = {
                "results": [
                    {"id": "openclaw:core:web_fetch", "name": "web_fetch", "score": 0.91},
                    {"id": "openclaw:core:browser", "name": "browser", "score": 0.64},
                ]
            }
        case _:
            args, payload = {}, {"ok": True}
    out = _json_result(name, payload, rng.randint(5, 600))
    out.args = args
    return out


def run_tool(
    rng: random.Random,
    version: int,
    name: str,
    *,
    fail: bool = False,
    big: bool = False,
    risky: bool = False,
    ansi: bool = False,
    bare: bool = False,
) -> ToolOutcome:
    """Execute `name` in the demo world; `fail`, `big`, `risky`, `ansi`, `bare` force the interesting cases.

    `bare`: a failure reported only by `isError:true`, without `details`.
    """
    if name == "exec":
        return _exec(rng, version, risky, fail, ansi)
    if name == "read":
        return _read(rng, version, fail, big)
    if name == "web_fetch":
        return _web_fetch(rng, fail, big, bare)
    if name == "web_search":
        return _web_search(rng)
    if name in ("memory_search", "memory_get"):
        return _memory(rng, name)
    if name in ("edit", "write", "apply_patch", "ls"):
        return _file_tool(rng, name)
    return _json_tool(rng, name)


def spawn_result(version: int, child_key: str, run_id: str, model_ref: str) -> ToolOutcome:
    """What `sessions_spawn` answers (observed in RUN-3.24 and RUN-9.6)."""
    if version >= 4:
        payload: dict[str, Any] = {
            "status": "accepted",
            "childSessionKey": child_key,
            "runId": run_id,
            "mode": "run",
            "expectsCompletionMessage": True,
            "context": "isolated",
            "note": "The final reply returns to the requester as a completion event. Continue any "
            "independent "
            "work. Wait for completion events for ALL required children before your final answer; never "
            "busy-poll. If a completion arrives after your final answer, reply ONLY with NO_REPLY.",
            "resolvedModel": model_ref,
            "resolvedProvider": model_ref.split("/", 1)[0],
            "modelApplied": True,
        }
    else:
        payload = {
            "status": "accepted",
            "childSessionKey": child_key,
            "runId": run_id,
            "mode": "run",
            "note": "Auto-announce is push-based. After spawning children, do NOT call sessions_list, "
            "sessions_history, exec sleep, or any polling tool. Wait for completion events to arrive as "
            "user messages, track expected child session keys, and only send your final answer after ALL "
            "expected completions arrive. If a child completion event arrives AFTER your final answer, "
            "reply ONLY with NO_REPLY.",
            "modelApplied": True,
        }
    return _json_result("sessions_spawn", payload, 0)


def wrap(outcome: ToolOutcome) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The Tool Search wrapper's view of an inner tool: (nested result, result text, result details)."""
    name = outcome.name
    inner: dict[str, Any] = {"content": [{"type": "text", "text": outcome.text}]}
    if outcome.details is not None:
        inner["details"] = outcome.details
    tool = {"id": f"openclaw:core:{name}", "name": name, "source": "openclaw"}
    text = orjson.dumps({"tool": tool, "result": inner}, option=orjson.OPT_INDENT_2).decode()
    label = TOOL_LABELS.get(name, name.replace("_", " ").title())
    described = {
        "id": tool["id"],
        "source": "openclaw",
        "sourceName": "core",
        "name": name,
        "label": label,
        "description": _description(name),
        "input": "unknown",
    }
    return inner, text, {"tool": described, "result": inner}


def _description(name: str) -> str:
    return (
        f"{TOOL_LABELS.get(name, name)}: OpenClaw core tool `{name}`. Call through tool_call with "
        f'{{id:"{name}", args:{{…}}}}. Results are returned as structured content; errors set isError. '
        "Respect tools.policy and sandbox settings; never use it to exfiltrate secrets or personal data."
    )
