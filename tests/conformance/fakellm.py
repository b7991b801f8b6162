"""A fake OpenAI-compatible LLM for driving the real OpenClaw offline, with an exact request log.

OpenClaw's `openai-completions` transport posts `{baseUrl}/chat/completions` with `stream: true` and
`stream_options.include_usage`; this server answers with SSE chunks (`delta.content`,
`delta.tool_calls`, `delta.reasoning_content`), a final usage chunk, then `data: [DONE]`. It is stdlib
only because it runs inside the test's network namespace, and it binds 127.0.0.1 only. What it answers
is steered by directives in the user text (`directives.py`).

Usage is deterministic and is the point of the log: every record carries the exact `usage` object sent
(`prompt_tokens`, `completion_tokens`, `prompt_tokens_details.cached_tokens`), so expected token and
cost figures are computed from the log, independently of clawscope.

Usage: python -m tests.conformance.fakellm --port 18999 --log fakellm.jsonl [--ready-file PATH]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conformance import scripted
from tests.conformance.directives import (
    FAIL_500,
    Reply,
    completion_tokens_of,
    plan_reply,
    read_turn,
    text_of,
)


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
        pos = scripted.position(messages) if self.server.scripts is not None else None
        if pos is not None:
            self._scripted(body, base, pos, offered)
            return
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

    def _scripted(
        self, body: dict[str, Any], base: dict[str, Any], pos: scripted.Position, offered: set[str]
    ) -> None:
        """Answer the step of a `[[script:ID]]` turn (see `scripted.py`)."""
        assert self.server.scripts is not None
        base = {**base, "scenario": pos.script_id, "script": pos.script_id, "step": pos.index}
        try:
            step = scripted.step_at(scripted.load_script(self.server.scripts, pos.script_id), pos.index)
        except (OSError, ValueError, TypeError, IndexError) as exc:
            self.server.log.write({**base, "status": 500, "error": f"bad script: {exc!r}", "response": None})
            self._send_json(500, {"error": {"message": f"fake LLM: bad script {pos.script_id}"}})
            return
        if step.delay_s:
            time.sleep(step.delay_s)
        if step.fail is not None:
            self.server.log.write({**base, "status": step.fail, "usage": None, "response": None})
            kind = "invalid_request_error" if step.fail < 500 else "server_error"
            self._send_json(step.fail, {"error": {"message": step.error, "type": kind}})
            return
        reply = scripted.plan(step, offered)
        messages = body.get("messages") or []
        usage = usage_for(messages, completion_tokens_of(reply))
        window = self.server.windows.get(str(body.get("model")))
        if window is not None and usage["prompt_tokens"] > window:  # as a real provider does
            message = (
                f"This model's maximum context length is {window} tokens. However, your messages "
                f"resulted in {usage['prompt_tokens']} tokens. Please reduce the length of the messages."
            )
            self.server.log.write({**base, "status": 400, "usage": None, "response": None, "error": message})
            self._send_json(
                400,
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "code": "context_length_exceeded",
                    }
                },
            )
            return
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
        self,
        port: int,
        log_path: Path,
        models: tuple[str, ...],
        bodies: Path | None = None,
        scripts: Path | None = None,
        windows: dict[str, int] | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.log = RequestLog(log_path)
        self.scripts = scripts  # folder of `[[script:ID]]` step lists (scripted.py); None: no scripts
        self.windows: dict[str, int] = dict(windows or {})  # model id → context window (scripted turns)
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
    parser.add_argument("--scripts", type=Path, help="folder of scripted turns, `[[script:ID]]` → ID.json")
    parser.add_argument("--window", action="append", default=[], help="MODEL=TOKENS: reject longer prompts")
    args = parser.parse_args()
    windows = {m: int(n) for m, _, n in (w.partition("=") for w in args.window)}
    server = FakeLLMServer(
        args.port, args.log, tuple(args.models.split(",")), args.bodies, args.scripts, windows
    )
    if args.ready_file:
        args.ready_file.write_text(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
