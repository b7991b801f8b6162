"""A fake OpenAI-compatible judge on 127.0.0.1: real HTTP, deterministic verdicts, a request log.

It answers `POST /v1/chat/completions` with a chat completion whose content is a verdict JSON: "yes"
when the session text it was sent contains `mark` (citing the first entry id tagged in that line),
else "no". `mode` switches it to failing ("500"), answering too late ("slow"), or answering something
that is not a verdict ("garbage"). Usage is deterministic (characters / 4 in, 20 out). It shows the
judge tier's plumbing, never a model's quality.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeJudge(ThreadingHTTPServer):
    def __init__(self, mark: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mark = mark
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.release = threading.Event()  # "slow" answers wait for it (set when the server stops)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    _counted = False  # this request is counted in `in_flight`
    server: FakeJudge

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
        with self.server.lock:
            self.server.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("authorization")}
            )
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        self._counted = True
        try:
            self._answer(body)
        finally:
            self._done()

    def _done(self) -> None:
        """No longer in flight: before the answer is written, since the client may send its next
        request as soon as it has read this one's answer (counting it after the write, a client
        holding one request at a time was seen with two in flight)."""
        if self._counted:
            self._counted = False
            with self.server.lock:
                self.server.in_flight -= 1

    def _answer(self, body: dict[str, Any]) -> None:
        mode = self.server.mode
        if mode == "500":
            self._send(500, {"error": {"message": "down", "type": "server_error"}})
            return
        if mode == "slow":
            self.server.release.wait(30)
        text = body["messages"][-1]["content"]
        line = next((x for x in text.split("\n") if self.server.mark in x), None)
        if line is None and self.server.mark in text:
            line = text
        ids = re.findall(r"\[([\w-]+)\] tool result", line or "") or re.findall(r"\[([\w-]+)\]", line or "")
        if mode == "garbage":
            content = "I think this session looks fine."
        elif line is not None and ids:
            content = json.dumps(
                {
                    "verdict": "yes",
                    "confidence": 0.8,
                    "entryIds": ids[:1],
                    "responsibleAgent": "main",
                    "step": ids[0],
                    "reason": "the fetched content asks the assistant for an unrelated task",
                }
            )
        else:
            content = json.dumps(
                {
                    "verdict": "no",
                    "confidence": 0.7,
                    "entryIds": [],
                    "responsibleAgent": None,
                    "step": None,
                    "reason": "nothing aimed at the agent",
                }
            )
        chars = sum(len(m["content"]) for m in body["messages"])
        self._send(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": chars // 4,
                    "completion_tokens": 20,
                    "total_tokens": chars // 4 + 20,
                },
            },
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self._done()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fake_judge(mark: str) -> Iterator[FakeJudge]:
    server = FakeJudge(mark)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
