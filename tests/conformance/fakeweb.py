"""A fake "internet" for the detection corpus: an HTTP proxy on loopback that serves scripted pages.

Inside the loopback-only namespace nothing outside is reachable, yet the corpus needs an agent that
fetches a web page carrying hidden instructions, downloads a file, or posts local data to an outside
host. OpenClaw's `web_fetch` (with `tools.web.fetch.useTrustedEnvProxy`) and `curl` in `exec` both go
through `http_proxy`, so this server, named as the proxy, answers proxy-form requests
(`GET http://host/path`) from a table of pages and records every request, bodies included, in a JSONL
log (what an exfiltration "sent"). CONNECT (https) is refused. Stdlib only: it runs in the namespace.

Usage: python -m tests.conformance.fakeweb --port 18998 --pages pages.json --log fakeweb.jsonl
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BODY_LOG_CAP = 4096


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeWebServer

    def log_message(self, format: str, *args: Any) -> None:
        """The JSONL log is the record."""

    def _handle(self, url: str | None = None) -> None:
        """Answer one request for `url` (proxy form: the request line's absolute URL)."""
        url = url or self.path
        length = int(self.headers.get("content-length") or 0)
        data = self.rfile.read(length) if length else b""
        page = self.server.page(url)
        status = 404
        if self.command in ("GET", "HEAD") and page is not None:
            status = int(page.get("status", 200))
        elif self.command in ("POST", "PUT"):
            status = 200
        body = data[:BODY_LOG_CAP].decode(errors="replace")
        self.server.write(
            {"method": self.command, "url": url, "status": status, "bytes": len(data), "body": body}
        )
        if self.command in ("GET", "HEAD") and page is not None:
            self._answer(status, str(page.get("body", "")).encode(), str(page.get("type", "text/html")))
        elif self.command in ("POST", "PUT"):
            self._answer(200, b'{"ok":true}\n', "application/json")
        else:
            self._answer(404, b"not found\n")

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_CONNECT(self) -> None:
        """A tunnel (Node's fetch tunnels even plain http through a proxy): port 80 is served as plain
        HTTP from the same table, one request per tunnel; anything else (TLS) is refused."""
        host, _, port = self.path.rpartition(":")
        if port != "80":
            self.close_connection = True
            self.server.write({"method": "CONNECT", "url": self.path, "status": 403, "bytes": 0, "body": ""})
            self._answer(403, b"only plain http is served by the fake web\n")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        line = self.rfile.readline(65537).decode("latin-1").strip()
        parts = line.split()
        if len(parts) != 3:
            self.close_connection = True
            return
        self.command, path, self.request_version = parts
        self.headers = http.client.parse_headers(self.rfile)
        self.close_connection = True
        self._handle(f"http://{host}{path}")

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class FakeWebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, pages: dict[str, dict[str, Any]], log_path: Path) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.pages = pages
        self.log_path = log_path
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}

    def page(self, url: str) -> dict[str, Any] | None:
        """The page for a URL; a page with a `sequence` answers its items in turn (then the last again)."""
        page = self.pages.get(url) or self.pages.get(url.rstrip("/"))
        if page is None or "sequence" not in page:
            return page
        with self._lock:
            n = self._hits.get(url, 0)
            self._hits[url] = n + 1
        seq = page["sequence"]
        return dict(seq[min(n, len(seq) - 1)])

    def write(self, record: dict[str, Any]) -> None:
        with self._lock, self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"ts": time.time(), **record}, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18998)
    parser.add_argument("--pages", type=Path, required=True, help="JSON {url: {status, type, body}}")
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path)
    args = parser.parse_args()
    server = FakeWebServer(args.port, json.loads(args.pages.read_text()), args.log)
    if args.ready_file:
        args.ready_file.write_text(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
