"""A small SSE client for tests and the bench: a thread reads the stream into a queue."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class SseEvent:
    id: int | None
    event: str
    data: dict[str, Any]
    received: float  # time.monotonic() on arrival


class SseReader:
    """Connects to `url`; `.events` receives SseEvent, `.comments` the comment lines."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        read_timeout: float = 5.0,
    ) -> None:
        self.read_timeout = read_timeout
        self.url = url
        self.headers = headers or {}
        self.params = params or {}
        self.events: queue.Queue[SseEvent] = queue.Queue()
        self.comments: queue.Queue[str] = queue.Queue()
        self.connected = threading.Event()
        self.status: int | None = None
        self.error_body: bytes = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SseReader:
        self._thread.start()
        if not self.connected.wait(15):
            raise RuntimeError(f"SSE stream did not connect (status {self.status})")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        with httpx.Client(timeout=httpx.Timeout(10, read=self.read_timeout)) as client:
            try:
                with client.stream("GET", self.url, headers=self.headers, params=self.params) as resp:
                    self.status = resp.status_code
                    if resp.status_code != 200:
                        self.error_body = resp.read()
                        self.connected.set()
                        return
                    self._read(resp)
            except httpx.ReadTimeout:
                return  # only when no heartbeat came: the test's own assertions say what was missing

    def _read(self, resp: httpx.Response) -> None:
        fields: dict[str, str] = {}
        for line in resp.iter_lines():
            if self._stop.is_set():
                return
            if line.startswith(":"):
                text = line[1:].strip()
                if text == "connected":
                    self.connected.set()
                self.comments.put(text)
            elif line == "":
                if "data" in fields:
                    ev = SseEvent(
                        int(fields["id"]) if "id" in fields else None,
                        fields.get("event", "message"),
                        json.loads(fields["data"]),
                        time.monotonic(),
                    )
                    self.events.put(ev)
                fields = {}
            else:
                key, _, value = line.partition(":")
                fields[key] = value[1:] if value.startswith(" ") else value

    def take(self, n: int, timeout: float = 10) -> list[SseEvent]:
        out: list[SseEvent] = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                out.append(self.events.get(timeout=left))
            except queue.Empty:
                break
        return out

    def quiet(self, wait: float = 0.5) -> list[SseEvent]:
        """Whatever else arrives within `wait` seconds."""
        return self.take(10_000, wait)
