"""`clawscope sync`: push completed sessions to a clawscope server as signed webhooks (cron-friendly).

Each session goes as one signed `POST /api/v1/openclaw/webhook` (a long one as several, in order)
carrying its raw records, so the server counts it exactly as local ingest would. What was sent is
remembered in a state file (session → fingerprint of its records), written after every session: an
interrupted run resumes where it stopped, a session that grew is sent again (the server keeps each
entry once), `--force` resends everything. 429 and 5xx are retried with backoff, honouring
`Retry-After`. One line per session on stdout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import click
import msgspec

from clawscope.commands.common import handle_errors, settings_from, state_dirs
from clawscope.errors import UsageError
from clawscope.sources.export import OutSession, sessions

RETRIES = 6
WEBHOOK_PATH = "/api/v1/openclaw/webhook"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _meta_json(m: Any) -> dict[str, Any]:
    d: dict[str, Any] = msgspec.to_builtins(m)
    d.pop("session_id", None)
    d.pop("instance", None)
    return {k: v for k, v in d.items() if v is not None}


def bodies(s: OutSession, agent_key: str, instance_id: str | None, max_bytes: int) -> list[bytes]:
    """The webhook bodies of a session: one, or several chunks each under `max_bytes`."""
    head: dict[str, Any] = {
        "session_id": s.session_id,
        "agent_name": agent_key,
        "status": "completed",
        "message_count": s.entries(),
        "metas": [_meta_json(m) for m in s.metas],
    }
    if instance_id:
        head["instance_id"] = instance_id
    base = len(json.dumps(head)) + 200
    chunks: list[list[dict[str, Any]]] = [[]]
    size, filled = base, 0
    for part in s.parts:
        cur: dict[str, Any] | None = None
        for i, raw in enumerate(part.records):
            rec = _record(raw)
            if filled and size + len(rec) + 16 > max_bytes:
                chunks.append([])
                size, filled, cur = base, 0, None
            if cur is None:
                cur = {"source": part.source, "path": part.path, "start": i, "records": []}
                chunks[-1].append(cur)
            cur["records"].append((rec, part.positions[i]))
            size += len(rec) + 16
            filled += 1
    out = []
    for parts in chunks:
        prefix = json.dumps(head)[:-1].encode()
        items = []
        for p in parts:
            entries = b"[" + b",".join(r for r, _ in p["records"]) + b"]"
            positions = json.dumps([pos for _, pos in p["records"]]).encode()
            meta = json.dumps({"source": p["source"], "path": p["path"], "start": p["start"]})[:-1].encode()
            items.append(meta + b', "positions": ' + positions + b', "entries": ' + entries + b"}")
        out.append(prefix + b', "parts": [' + b",".join(items) + b"]}")
    return out


def _record(raw: bytes) -> bytes:
    """A record as JSON: itself when it is valid UTF-8 JSON, else its text as a JSON string."""
    try:
        msgspec.json.decode(raw)
        raw.decode("utf-8")
    except (msgspec.DecodeError, UnicodeDecodeError):
        return json.dumps(raw.decode("utf-8", "replace")).encode()
    return raw


def post(
    client: Any,
    url: str,
    api_key: str,
    secret: str,
    body: bytes,
    sleep: Any = time.sleep,
    retries: int = RETRIES,
) -> Any:
    """POST one signed body; retry 429/5xx/connection errors with backoff (Retry-After honoured)."""
    import httpx

    delay = 0.5
    for attempt in range(retries + 1):
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Clawscope-API-Key": api_key,
            "X-Clawscope-Timestamp": stamp,
            "X-Clawscope-Nonce": secrets.token_urlsafe(16),
            "X-Clawscope-Signature": sign(secret, stamp, body),
        }
        try:
            resp = client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            if attempt == retries:
                raise UsageError(f"cannot reach {url}: {exc}") from None
            sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        if (resp.status_code != 429 and resp.status_code < 500) or attempt == retries:
            return resp
        after = resp.headers.get("Retry-After", "")
        sleep(min(float(after), 120.0) if after.replace(".", "", 1).isdigit() else delay)
        delay = min(delay * 2, 30.0)
    raise AssertionError("unreachable")


def load_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the sync state file {path}: {exc}") from None
    sent = data.get("sent") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in sent.items()} if isinstance(sent, dict) else {}


def save_state(path: Path, sent: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"version": 1, "sent": sent}, indent=1, sort_keys=True))
    os.replace(tmp, path)


@click.command()
@click.argument("paths", nargs=-1, metavar="[STATE_DIR]...")
@click.option("--to", "to", required=True, metavar="URL", help="The clawscope server, e.g. http://host:8765.")
@click.option("--api-key", envvar="CLAWSCOPE_SYNC_API_KEY", required=True, help="API key with ingest:write.")
@click.option("--agent-key", required=True, help="The registered agent (agent_key) that signs.")
@click.option("--agent-secret", envvar="CLAWSCOPE_AGENT_SECRET", required=True, help="Its webhook secret.")
@click.option("--instance-id", default=None, help="The registered instance (needed if the key is ambiguous).")
@click.option("--dry-run", is_flag=True, help="List what would be sent; send nothing.")
@click.option("--force", is_flag=True, help="Send every session again (ignore the state file).")
@click.option(
    "--state-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Default ~/.clawscope/sync-state.json.",
)
@click.option(
    "--settle",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds without change before a session counts as completed.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1024),
    default=4 << 20,
    show_default=True,
    help="Largest body sent.",
)
@click.option(
    "--retries", type=click.IntRange(min=0), default=RETRIES, show_default=True, help="Retries on 429/5xx."
)
@handle_errors
def sync(
    paths: tuple[str, ...],
    to: str,
    api_key: str,
    agent_key: str,
    agent_secret: str,
    instance_id: str | None,
    dry_run: bool,
    force: bool,
    state_file: Path | None,
    settle: float,
    max_bytes: int,
    retries: int,
) -> None:
    """Push completed OpenClaw sessions to a clawscope server as signed webhooks.

    \b
    Example (cron, every 15 minutes):
      */15 * * * * clawscope sync --to https://clawscope.example --agent-key main >> sync.log 2>&1
    """
    import httpx

    settings = settings_from()
    dirs = state_dirs(paths, settings)
    if not dirs:
        raise UsageError("no OpenClaw state dir found; pass one")
    state_path = state_file or settings.home / "sync-state.json"
    sent = {} if force else load_state(state_path)
    url = to.rstrip("/") + WEBHOOK_PATH
    failed = 0
    now = time.time()
    with httpx.Client(timeout=60.0) as client:
        for state_dir in dirs:
            for s in sessions(state_dir, now, settle):
                label = f"{s.agent_id}/{s.session_id}"
                key = f"{to.rstrip('/')}|{state_dir.resolve()}|{label}"
                if not s.complete:
                    click.echo(f"pending  {label} (still active)")
                    continue
                if sent.get(key) == s.fingerprint:
                    click.echo(f"skip     {label} (already sent)")
                    continue
                chunks = bodies(s, agent_key, instance_id, max_bytes)
                size = sum(len(b) for b in chunks)
                if dry_run:
                    click.echo(f"would    {label} entries={s.entries()} bytes={size} requests={len(chunks)}")
                    continue
                status, detail = 200, ""
                for body in chunks:
                    resp = post(client, url, api_key, agent_secret, body, retries=retries)
                    status = resp.status_code
                    if status != 200:
                        detail = _error_message(resp)
                        break
                if status == 200:
                    sent[key] = s.fingerprint
                    save_state(state_path, sent)
                    click.echo(f"sent     {label} entries={s.entries()} bytes={size} requests={len(chunks)}")
                else:
                    failed += 1
                    click.echo(f"failed   {label} status={status} {detail}")
    if failed:
        click.echo(f"error: {failed} session(s) not sent", err=True)
        sys.exit(1)


def _error_message(resp: Any) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return str(resp.text)[:200].replace("\n", " ")
