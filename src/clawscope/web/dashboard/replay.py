"""A session as a timeline for the replay page: the raw transcript records turned into display items.

Only presentation happens here (what kind of step, its text, collapsed when long, thinking before the
reply it led to, a spawn's child session, a model call retried after an error); the tokens and cost
of each model call come from the store (`analytics.session_turns`), keyed by the entry id. The page
shows one page of entries at a time (`PAGE`), so a 5,000-entry session opens as fast as a short one.
"""

from __future__ import annotations

from typing import Any

import orjson

from clawscope.timeutil import iso_ms

LONG = 600  # characters shown before an output is collapsed
LONG_LINES = 12  # lines shown before an output is collapsed
PAGE = 200  # entries per replay page


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text") or ""))
        elif isinstance(block, dict) and block.get("type") == "image":
            parts.append("[image]")
    return "\n".join(parts)


_FAILED = ("error", "failed")  # a result's `details.status` when the tool failed (README: toolErrors)


def unwrapped(tool: Any, text: str) -> tuple[Any, str, bool]:
    """A Tool Search wrapper's result (`tool_call`: JSON naming the inner tool and holding its result)
    as the inner tool's name, the text of its result and whether its details say it failed, so a
    failing wrapped fetch reads "web_fetch failed: Web fetch failed (404): …", not the wrapper's JSON.
    Any other result comes back as it is."""
    if not text.startswith("{"):
        return tool, text, False
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        return tool, text, False
    inner = body.get("tool") if isinstance(body, dict) else None
    result = body.get("result") if isinstance(body, dict) else None
    if not (isinstance(inner, dict) and isinstance(inner.get("name"), str) and isinstance(result, dict)):
        return tool, text, False
    found = result.get("details")
    details: dict[str, Any] = found if isinstance(found, dict) else {}
    shown = _text(result.get("content")) or str(details.get("error") or "")
    return inner["name"], shown or text, details.get("status") in _FAILED


def _at(value: Any) -> str | None:
    """The entry's time as ISO text: OpenClaw writes ISO strings, but a record pushed by webhook may
    carry epoch milliseconds (or anything else, shown as is)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return iso_ms(int(value))
        except (OverflowError, ValueError, OSError):
            return str(value)
    return value if isinstance(value, str) or value is None else str(value)


def _item(kind: str, rec: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    lines = text.count("\n") + 1
    long = len(text) > LONG or lines > LONG_LINES
    preview = "\n".join(text[:LONG].split("\n")[:LONG_LINES])
    return {
        "kind": kind,
        "at": _at(rec.get("timestamp")),
        "id": rec.get("id"),
        "parent": rec.get("parentId"),
        "text": text,
        "long": long,
        "lines": lines,
        "preview": preview,
        **extra,
    }


def turn(call: dict[str, Any]) -> dict[str, Any]:
    """A stored model call as the replay shows it (the shape of `analytics.session_turns`)."""
    return {
        "model": call["model"],
        "provider": call["provider"],
        "tokensIn": int(call["input"]),
        "tokensOut": int(call["output"]),
        "cacheRead": int(call["cache_read"]),
        "cacheWrite": int(call["cache_write"]),
        "costUSD": float(call["cost_total"] or 0.0),
        "estimatedCostUSD": float(call["est_cost"] or 0.0),
        "error": call["error_message"] if call["is_error"] else None,
    }


def _spawned_key(text: str) -> str | None:
    """The child session key a `sessions_spawn` result names."""
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    key = found.get("childSessionKey") if isinstance(found, dict) else None
    return key if isinstance(key, str) else None


def _message(rec: dict[str, Any], turns: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    msg = rec.get("message")
    if not isinstance(msg, dict):
        return []
    role = msg.get("role")
    content = msg.get("content")
    if role == "user":
        return [_item("user", rec, _text(content))]
    if role == "toolResult":
        found = msg.get("details")
        details: dict[str, Any] = found if isinstance(found, dict) else {}
        tool, text, inner_failed = unwrapped(msg.get("toolName"), _text(content))
        failed = bool(msg.get("isError")) or details.get("status") in _FAILED or inner_failed
        kind = "tool-error" if failed else "tool-result"
        child = _spawned_key(text) if tool == "sessions_spawn" else None
        return [_item(kind, rec, text, tool=tool, childKey=child)]
    if role != "assistant":
        return [_item(str(role or "message"), rec, _text(content))]
    thinking: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "thinking":
            thinking.append(_item("thinking", rec, str(block.get("thinking") or "")))
        elif block.get("type") == "toolCall":
            args = orjson.dumps(block.get("arguments"), option=orjson.OPT_INDENT_2).decode()
            calls.append(_item("tool-call", rec, args, tool=block.get("name")))
    text = _text(content)
    turn = turns.get(str(rec.get("id")))
    error = msg.get("errorMessage") if msg.get("stopReason") == "error" else None
    main = _item(
        "error" if error else "assistant", rec, text or (error or ""), turn=turn, model=msg.get("model")
    )
    # in the order it happened: the thinking, then the reply it led to, then the tools it called
    return [*thinking, main, *calls]


def timeline(records: list[tuple[int, bytes]], turns: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Display items of a session, in transcript order; each says whether its entry's day differs
    from the item before (`newDay`: the page then shows the date) and whether it retries a failed
    model call (`retry`: an assistant message with the same parent as an error before it)."""
    out = _items(records, turns)
    failed: set[str] = set()
    day = None
    for it in out:
        at = it["at"] or ""
        it["newDay"] = bool(at[:10]) and at[:10] != day
        day = at[:10] or day
        it["retry"] = it["kind"] in ("assistant", "error") and it["parent"] in failed
        if it["kind"] == "error" and it["parent"]:
            failed.add(it["parent"])
    return out


def _items(records: list[tuple[int, bytes]], turns: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _pos, raw in records:
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(rec, dict):
            continue
        kind = rec.get("type")
        if kind == "message":
            out.extend(_message(rec, turns))
        elif kind == "compaction":
            text = str(rec.get("summary") or "")
            out.append(_item("compaction", rec, text, tokensBefore=rec.get("tokensBefore")))
        elif kind == "model_change":
            out.append(_item("model-change", rec, f"{rec.get('provider')}/{rec.get('modelId')}"))
        elif kind == "session":
            out.append(_item("session", rec, f"session started in {rec.get('cwd') or '?'}"))
    return out
