"""A fake OpenAI-compatible LLM for driving the real OpenClaw offline, with an exact request log.

OpenClaw's `openai-completions` transport posts `{baseUrl}/chat/completions` with `stream: true` and
`stream_options.include_usage`; this server answers with SSE chunks (`delta.content`,
`delta.tool_calls`, `delta.reasoning_content`), a final usage chunk, then `data: [DONE]`. It is stdlib
only because it runs inside the test's network namespace, and it binds 127.0.0.1 only.

What it answers is steered by directives in the current turn's user text (the user messages after the
last assistant message; when several carry a scenario marker, only the newest):

* `[[tool:NAME {json args}]]` — call tool NAME (several directives → parallel tool calls). A tool the
  request does not offer is not called; the reply says so and the log lists it under `unoffered`.
* `[[fail500]]` — HTTP 500 on every attempt (OpenClaw retries, then gives up).
* `[[think]]` — stream reasoning deltas first (OpenClaw stores a thinking block).
* `[[slow:S]]` — wait S seconds before every answer that belongs to this turn (its tool follow-ups too),
  so a test can act while OpenClaw is provably in the middle of the turn.
* `[[scenario:NAME]]` — a marker: the log attributes the request to scenario NAME (the newest user
  message carrying one decides; see `attribute`). `[[session:NAME]]` in a conversation's first user
  message claims the whole conversation (used for a sub-agent's task). Replies never echo markers, and
  OpenClaw's own context messages (`is_internal`) are ignored, so a marker is never inherited by accident.

After tool results (role `tool` after the last assistant message) it answers with plain text.

Usage is deterministic and is the point of the log: every record carries the exact `usage` object sent
(`prompt_tokens`, `completion_tokens`, `prompt_tokens_details.cached_tokens`), so expected token and
cost figures are computed from the log, independently of clawscope.

Usage: python -m tests.conformance.fakellm --port 18999 --log fakellm.jsonl [--ready-file PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOOL_OPEN = re.compile(r"\[\[tool:([A-Za-z0-9_.-]+)\s*")
MARKER = re.compile(r"\[\[scenario:([A-Za-z0-9_.-]+)\]\]")
SESSION_MARKER = re.compile(r"\[\[session:([A-Za-z0-9_.-]+)\]\]")
SLOW = re.compile(r"\[\[slow:([0-9.]+)\]\]")
INTERNAL_CONTEXT = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"
ANY_DIRECTIVE = re.compile(r"\[\[[a-z]+(?::[^\]]*)?\]\]")
FAIL_500 = "[[fail500]]"
THINK = "[[think]]"
REASONING_TEXT = "The user asked for this; I will do it step by step."


def text_of(content: Any) -> str:
    """The text of an OpenAI message `content` (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def strip_directives(text: str) -> str:
    """Text without any `[[...]]` directive, so echoed text never carries a directive onwards."""
    out = []
    pos = 0
    for m in TOOL_OPEN.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos : m.start()])
        _, end = _decode_args(text, m.end())
        close = text.find("]]", end)
        pos = close + 2 if close >= 0 else len(text)
    out.append(text[pos:])
    return ANY_DIRECTIVE.sub("", "".join(out))


def _decode_args(text: str, start: int) -> tuple[dict[str, Any], int]:
    """Decode the JSON object that follows `[[tool:NAME `; a missing or bad object means no args."""
    if start < len(text) and text[start] == "{":
        try:
            value, end = json.JSONDecoder().raw_decode(text, start)
        except json.JSONDecodeError:
            return {}, start
        if isinstance(value, dict):
            return value, end
    return {}, start


def tool_directives(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Every `[[tool:NAME {args}]]` in text, in order (args are decoded with a real JSON decoder)."""
    found = []
    pos = 0
    while (m := TOOL_OPEN.search(text, pos)) is not None:
        args, end = _decode_args(text, m.end())
        found.append((m.group(1), args))
        pos = max(end, m.end())
    return found


@dataclass
class Turn:
    """What the request asks for, read from its messages."""

    user_text: str  # the current turn's user text ("" in a tool follow-up)
    scenario: str | None
    delay_s: float = 0.0
    tool_results: list[dict[str, str]] = field(default_factory=list)


def is_internal(text: str) -> bool:
    """OpenClaw's own context messages (sent with role user): never a source of directives or markers.

    2026.9.x appends `<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>` blocks (which may quote a sub-agent's task);
    2026.7.x sends "OpenClaw runtime context …" after announce events.
    """
    head = text.lstrip()[:200]
    return head.startswith(INTERNAL_CONTEXT) or "OpenClaw runtime context" in head


def newest_marked(users: list[str]) -> str:
    """The newest non-internal user message carrying a scenario marker ("" if none)."""
    return next((u for u in reversed(users) if not is_internal(u) and MARKER.search(u)), "")


def attribute(users: list[str]) -> str | None:
    """The scenario of a request, from all its user messages (oldest first), internal context excluded.

    A `[[session:NAME]]` marker in the conversation's first user message claims the whole conversation (a
    sub-agent's task); otherwise the newest user message carrying a `[[scenario:NAME]]` marker decides,
    so an unmarked follow-up (a sub-agent's completion announce) counts for the turn that caused it.
    """
    real = [u for u in users if not is_internal(u)]
    if real and (session := SESSION_MARKER.search(real[0])):
        return session.group(1)
    for text in reversed(real):
        if marker := MARKER.search(text):
            return marker.group(1)
    return None


def read_turn(messages: list[dict[str, Any]]) -> Turn:
    tail: list[dict[str, Any]] = []
    for msg in reversed(messages):
        if msg.get("role") == "assistant":
            break
        tail.append(msg)
    tail.reverse()
    users = [t for m in tail if m.get("role") == "user" and not is_internal(t := text_of(m.get("content")))]
    # A turn that failed upstream leaves its user message without an assistant reply, so the next turn's
    # tail holds both; directives come only from the newest marked message (unmarked: the whole tail).
    marked = [t for t in users if MARKER.search(t)]
    user_text = marked[-1] if marked else "\n".join(users)
    results = [
        {"toolCallId": str(m.get("tool_call_id", "")), "content": text_of(m.get("content"))[:300]}
        for m in tail
        if m.get("role") == "tool"
    ]
    everyone = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    slow = SLOW.search(newest_marked(everyone))
    delay = float(slow.group(1)) if slow else 0.0
    return Turn(user_text, attribute(everyone), tool_results=results, delay_s=delay)


def usage_for(messages: list[dict[str, Any]], completion_tokens: int) -> dict[str, Any]:
    """Deterministic usage: ~4 characters per prompt token, a third of longer prompts "cached"."""
    chars = sum(len(text_of(m.get("content"))) for m in messages)
    prompt = chars // 4 + 11
    cached = prompt // 3 if prompt > 64 else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


@dataclass
class Reply:
    text: str | None
    tool_calls: list[dict[str, str]]
    reasoning: str | None
    unoffered: list[str]


def plan_reply(turn: Turn, offered: set[str]) -> Reply:
    """Decide the answer: tool calls from directives, else text (a follow-up summarises the tool output)."""
    reasoning = REASONING_TEXT if THINK in turn.user_text else None
    if turn.tool_results:
        said = strip_directives(turn.tool_results[0]["content"])[:120].replace("\n", " ")
        return Reply("Done. Tool said: " + said, [], reasoning, [])
    calls, unoffered = [], []
    for name, args in tool_directives(turn.user_text):
        if offered and name not in offered:
            unoffered.append(name)
            continue
        calls.append({"id": "call_" + uuid.uuid4().hex[:16], "name": name, "arguments": json.dumps(args)})
    if calls:
        return Reply(None, calls, reasoning, unoffered)
    said = strip_directives(turn.user_text)[-80:].replace("\n", " ").strip()
    text = "Hello from the fake model. You said: " + said
    if unoffered:
        text = f"Tool(s) {', '.join(unoffered)} not offered to me. " + text
    return Reply(text, [], reasoning, unoffered)


def completion_tokens_of(reply: Reply) -> int:
    out = sum(8 + len(c["arguments"]) // 8 for c in reply.tool_calls)
    out += max(3, len(reply.text or "") // 4) if reply.text is not None else 0
    return out + (len(reply.reasoning) // 4 if reply.reasoning else 0)


class RequestLog:
    """Append-only JSONL log, one record per request, flushed at once (tests read it while we run)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seq = 0

    def write(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            line = json.dumps({"seq": self._seq, "ts": time.time(), **record}, sort_keys=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log; the JSONL log is the record."""

    def _send_json(self, code: int, obj: Any) -> None:
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.server.models]
            self._send_json(200, {"object": "list", "data": data})
            return
        self._send_json(404, {"error": {"message": f"not found: {self.path}"}})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self.server.log.write({"path": self.path, "status": 400, "error": "bad json"})
            self._send_json(400, {"error": {"message": "request body is not JSON"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.server.log.write({"path": self.path, "status": 404})
            self._send_json(404, {"error": {"message": f"unsupported path {self.path}"}})
            return
        self._complete(body)

    def _complete(self, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        turn = read_turn(messages)
        offered = {str(t.get("function", {}).get("name")) for t in body.get("tools") or []}
        if self.server.bodies is not None:
            self.server.bodies.write({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        base = {
            "path": self.path,
            "retry": self.headers.get("x-stainless-retry-count"),
            "model": body.get("model"),
            "stream": bool(body.get("stream")),
            "scenario": turn.scenario,
            "messages": len(messages),
            "offeredTools": sorted(offered),
            "toolResults": turn.tool_results,
            "delayS": turn.delay_s,
        }
        if FAIL_500 in turn.user_text:
            self.server.log.write({**base, "status": 500, "usage": None, "response": None})
            self._send_json(
                500, {"error": {"message": "fake upstream failure (simulated)", "type": "server_error"}}
            )
            return
        if turn.delay_s:
            time.sleep(turn.delay_s)
        reply = plan_reply(turn, offered)
        usage = usage_for(messages, completion_tokens_of(reply))
        response = {"text": reply.text, "toolCalls": reply.tool_calls, "reasoning": reply.reasoning}
        self.server.log.write(
            {**base, "status": 200, "usage": usage, "response": response, "unoffered": reply.unoffered}
        )
        cid = "chatcmpl-" + uuid.uuid4().hex[:20]
        if body.get("stream"):
            self._stream(cid, str(body.get("model")), reply, usage)
        else:
            self._send_json(200, _whole_completion(cid, str(body.get("model")), reply, usage))

    def _stream(self, cid: str, model: str, reply: Reply, usage: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        created = int(time.time())

        def send(choices: list[dict[str, Any]], **extra: Any) -> None:
            obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
            obj.update(choices=choices, **extra)
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

        def delta(d: dict[str, Any], finish: str | None = None) -> None:
            send([{"index": 0, "delta": d, "finish_reason": finish}])

        delta({"role": "assistant", "content": ""})
        if reply.reasoning:
            for word in _pieces(reply.reasoning):
                delta({"reasoning_content": word})
        for i, call in enumerate(reply.tool_calls):
            head = {
                "index": i,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            delta({"tool_calls": [head]})
            delta({"tool_calls": [{"index": i, "function": {"arguments": call["arguments"]}}]})
        for word in _pieces(reply.text or ""):
            delta({"content": word})
        delta({}, "tool_calls" if reply.tool_calls else "stop")
        send([], usage=usage)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words) if text]


def _whole_completion(cid: str, model: str, reply: Reply, usage: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in reply.tool_calls
        ]
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    finish = "tool_calls" if reply.tool_calls else "stop"
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }


class FakeLLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, port: int, log_path: Path, models: tuple[str, ...], bodies: Path | None = None
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.log = RequestLog(log_path)
        self.bodies = RequestLog(bodies) if bodies else None  # whole requests, for debugging only
        self.models = models


def read_log(path: Path) -> list[dict[str, Any]]:
    """The log's records, in order (a missing log reads as empty)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18999)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--models", default="fake-a,fake-b", help="ids listed by GET /v1/models")
    parser.add_argument("--ready-file", type=Path, help="written once the port is bound")
    parser.add_argument("--bodies", type=Path, help="also log every whole request (headers and body) here")
    args = parser.parse_args()
    server = FakeLLMServer(args.port, args.log, tuple(args.models.split(",")), args.bodies)
    if args.ready_file:
        args.ready_file.write_text(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
