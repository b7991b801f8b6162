"""`clawscope sync`: push completed sessions to a clawscope server as signed webhooks (cron-friendly).

Each session goes as one signed `POST /api/v1/openclaw/webhook` (a long one as several, in order)
carrying its raw records, so the server counts it exactly as local ingest would. What was sent is
remembered in a state file (session → fingerprint of its records), written after every session: an
interrupted run resumes where it stopped, a session that grew is sent again (the server keeps each
entry once), `--force` resends everything. 429 and 5xx are retried with backoff, honouring
`Retry-After`. One line per session on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import msgspec

from clawscope import webhooks
from clawscope.cli.common import handle_errors, settings_from, state_dirs
from clawscope.errors import UsageError
from clawscope.retry import Retrying, RetryPolicy
from clawscope.sources import session_webhook as wire
from clawscope.sources.export import OutSession, sessions
from clawscope.timeutil import now_ms

RETRIES = 6
WEBHOOK_PATH = "/api/v1/openclaw/webhook"
# 429 and any 5xx are retried, and any transport error (each attempt is signed anew, and the server keeps
# each entry once); Retry-After is honoured up to two minutes.
_STATUSES = frozenset({429, *range(500, 600)})


def bodies(s: OutSession, agent_key: str, instance_id: str | None, max_bytes: int) -> list[bytes]:
    """The webhook bodies of a session: one, or several chunks each under `max_bytes`."""
    head = wire.SessionPayload(
        session_id=s.session_id,
        agent_name=agent_key,
        instance_id=instance_id,
        status="completed",
        message_count=s.entries(),
        metas=[wire.meta_fields(m) for m in s.metas],
    )
    base = len(wire.encode(head)) + 200
    chunks: list[list[wire.Part]] = [[]]
    size, filled = base, 0
    for part in s.parts:
        cur: wire.Part | None = None
        for i, raw in enumerate(part.records):
            rec = wire.record_json(raw)
            if filled and size + len(rec) + 16 > max_bytes:
                chunks.append([])
                size, filled, cur = base, 0, None
            if cur is None:
                cur = wire.Part(entries=[], path=part.path, source=part.source, positions=[], start=i)
                chunks[-1].append(cur)
            cur.entries.append(msgspec.Raw(rec))
            assert cur.positions is not None
            cur.positions.append(part.positions[i])
            size += len(rec) + 16
            filled += 1
    return [wire.encode(msgspec.structs.replace(head, parts=parts)) for parts in chunks]


def post(
    client: Any,
    url: str,
    api_key: str,
    secret: str,
    body: bytes,
    sleep: Callable[[float], None] = time.sleep,
    retries: int = RETRIES,
) -> Any:
    """POST one signed body; retry 429/5xx/connection errors with backoff (Retry-After honoured)."""
    import httpx

    policy = RetryPolicy(
        attempts=retries + 1,
        backoff_s=0.5,
        max_delay_s=30.0,
        statuses=_STATUSES,
        transport_errors=(httpx.TransportError,),
        retry_after_cap_s=120.0,
        sleep=sleep,
    )

    def send() -> Any:
        headers = {"Content-Type": "application/json", webhooks.API_KEY_HEADER: api_key}
        headers.update(webhooks.signed_headers(secret.encode(), body, now_ms() / 1000))
        return client.post(url, content=body, headers=headers)

    try:
        return Retrying(policy).send(send)
    except httpx.TransportError as exc:
        raise UsageError(f"cannot reach {url}: {exc}") from None


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
    now = now_ms() / 1000
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


COMMANDS = (sync,)
