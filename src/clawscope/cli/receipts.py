"""`clawscope receipts …`: tamper-evident signed receipts of tool calls (PEAC-compatible), dispute bundles,
the Merkle log's checkpoints and proofs. Every command calls one function of `clawscope.audit.operations`;
README "## Receipts (audit)"."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path as _Path
from typing import TYPE_CHECKING

import click

from clawscope.cli.common import Lazy, example, handle_errors, open_store, settings_from
from clawscope.errors import UsageError

if TYPE_CHECKING:
    from clawscope.audit.backfill import BackfillItem

_ops = Lazy("clawscope.audit.operations")
_backfill = Lazy("clawscope.audit.backfill")
_jws = Lazy("clawscope.audit.jws")


_FILE = click.Path(path_type=_Path, dir_okay=False, exists=True)
_ANY = click.Path(path_type=_Path, exists=True)
_DIR = click.Path(path_type=_Path, file_okay=False)
_NOW = click.option(
    "--now-ms", type=int, default=None, help="Freeze the clock (ms since epoch): reproducible output."
)


def _warn_key(path: _Path) -> None:
    warning = _jws.key_file_warning(path)
    if warning:
        click.echo(f"warning: {warning}", err=True)


@click.group(epilog=example("clawscope receipts keygen --out ~/.clawscope/receipts.jwk"))
def receipts() -> None:
    """Signed, tamper-evident receipts of tool calls (PEAC-compatible), bundles and log proofs."""


@receipts.command("keygen", epilog=example("clawscope receipts keygen --out signing-key.jwk"))
@click.option(
    "--out", type=click.Path(path_type=_Path, dir_okay=False), required=True, help="Key file to create."
)
@handle_errors
def receipts_keygen(*, out: _Path) -> None:
    """Generate an Ed25519 signing key (JWK, mode 0600) and its public JWK. The secret is never printed."""
    result = _ops.keygen(out)
    click.echo(
        f"kid: {result['kid']}\nprivate key: {result['key']} (mode 0600)\npublic key: {result['public_key']}"
    )


@receipts.command(
    "capture",
    epilog=example(
        "clawscope receipts capture --events events.json --config",
        "adapter-config.json --key signing-key.jwk --out audit/",
        "--now-ms 1768478400000",
    ),
)
@click.option("--events", type=_FILE, required=True, help="JSON array or JSON Lines of tool-call events.")
@click.option("--config", type=_FILE, required=True, help="PEAC adapter config (issuer, audience, ...).")
@click.option("--key", type=_FILE, required=True, help="Private signing JWK.")
@click.option("--out", type=_DIR, required=True, help="Audit directory.")
@_NOW
@click.option(
    "--per-session", is_flag=True, help="One spool per session key instead of the single adapter spool."
)
@click.option(
    "--hook", "hook_format", is_flag=True, help="Events are {event, ctx, completed_ms} after_tool_call."
)
@click.option("--json", "as_json", is_flag=True, help="Print the per-event results as JSON.")
@handle_errors
def receipts_capture(
    *,
    events: _Path,
    config: _Path,
    key: _Path,
    out: _Path,
    now_ms: int | None,
    per_session: bool,
    hook_format: bool,
    as_json: bool,
) -> None:
    """Capture tool-call events into a hash-chained spool and emit signed receipts.

    Exit status 1 when any event was refused (each refusal is printed with its code).
    """
    _warn_key(key)
    result = _ops.capture(
        events, config, key, out, now_ms=now_ms, per_session=per_session, hook_format=hook_format
    )
    refused = [r for r in result["results"] if not r["ok"]]
    if as_json:
        click.echo(_ops.dumps(result))
    else:
        for r in result["results"]:
            click.echo(
                f"captured #{r['sequence']} {r['rid']}" if r["ok"] else f"refused {r['code']}: {r['message']}"
            )
            for w in r.get("warnings", []):
                click.echo(f"  warning {w['code']}: {w['message']}")
        captured = len(result["results"]) - len(refused)
        click.echo(f"{captured} captured, {len(refused)} refused, {result['emitted']} receipts emitted")
    sys.exit(1 if refused or result["failed"] else 0)


def store_backfill_items(db: str | None, session: str | None, all_sessions: bool) -> Iterator[BackfillItem]:
    """The tool calls of ingested sessions, re-decoded from the raw entries the store keeps (so the
    arguments and outputs are whole), session by session, in transcript order."""
    if not session and not all_sessions:
        raise UsageError("say which sessions: --session ID, --all, or --state-dir PATH")
    store = open_store(settings_from(db=db))
    try:
        found = store.sessions.with_tool_calls(session)
        if session and not found:
            raise UsageError(f"no session {session!r} in {store.url}")
        for session_id, key, agent_id in found:
            pruned = store.retention.pruned(session_id)
            if pruned is not None:  # its text is gone: the receipts would miss what it said
                where = "its source files (--state-dir)"
                if session:
                    raise UsageError(
                        f"the transcript text of {session_id} was pruned by retention: use {where}"
                    )
                click.echo(
                    f"skipped {session_id}: transcript text pruned by retention (use {where})", err=True
                )
                continue
            yield from _backfill.items_from_records(
                session_id, store.transcripts.records(session_id), key, agent_id, store.url
            )
    finally:
        store.close()


@receipts.command(
    "backfill",
    epilog=example(
        "clawscope receipts backfill --state-dir ~/.openclaw --key", "signing-key.jwk --out audit/"
    ),
)
@click.option("--db", default=None, help="Database URL (default: the configured store).")
@click.option("--session", default=None, help="Only this session id.")
@click.option("--all", "all_sessions", is_flag=True, help="Every ingested session.")
@click.option(
    "--state-dir",
    type=click.Path(path_type=_Path, file_okay=False, exists=True),
    default=None,
    help="Read the transcripts of a JSONL-era OpenClaw state dir instead of the database.",
)
@click.option("--key", type=_FILE, required=True, help="Private signing JWK.")
@click.option("--out", type=_DIR, required=True, help="Audit directory.")
@click.option("--issuer", default="https://localhost", show_default=True, help="iss claim (an https origin).")
@_NOW
@handle_errors
def receipts_backfill(
    *,
    db: str | None,
    session: str | None,
    all_sessions: bool,
    state_dir: _Path | None,
    key: _Path,
    out: _Path,
    issuer: str,
    now_ms: int | None,
) -> None:
    """Receipts for tool calls already ingested from transcripts (history becomes provable)."""
    _warn_key(key)
    items: Iterable[BackfillItem]
    if state_dir is not None:
        items = [i for i in _backfill.items_from_state_dir(state_dir) if session in (None, i.call.session_id)]
    else:
        items = store_backfill_items(db, session, all_sessions)
    report = _ops.backfill_items(items, key, out, issuer, now_ms=now_ms)
    for call_id, why in report.skipped:
        click.echo(f"skipped {call_id}: {why}")
    for call_id, code, message in report.failed:
        click.echo(f"refused {call_id}: {code}: {message}")
    for call_id, code, message in report.warnings:
        click.echo(f"warning {call_id}: {code}: {message}")
    counts = f"{report.captured} captured, {report.already} already receipted, {len(report.skipped)} skipped"
    click.echo(f"{counts}, {len(report.failed)} refused, {report.emitted} receipts emitted")
    sys.exit(1 if report.failed else 0)


@receipts.command(
    "verify", epilog=example("clawscope receipts verify audit/ --public-key", "signing-key.public.jwk")
)
@click.argument("files", nargs=-1, required=True, type=_ANY)
@click.option(
    "--public-key", type=_FILE, required=True, help="Public JWK or JWKS (private keys are refused)."
)
@click.option(
    "--checkpoint", type=_FILE, default=None, help="A signed spool head kept elsewhere (one spool)."
)
@click.option("--allow-unanchored", is_flag=True, help="Accept spools without a signed head (warning only).")
@_NOW
@click.option("--json", "as_json", is_flag=True, help="Print one JSON verdict per file.")
@handle_errors
def receipts_verify(
    *,
    files: tuple[_Path, ...],
    public_key: _Path,
    checkpoint: _Path | None,
    allow_unanchored: bool,
    now_ms: int | None,
    as_json: bool,
) -> None:
    """Verify receipts (.jws, .peac.json), spools, bundles and logs: signature, structure and chain.

    Directories are searched recursively. Exit status 0 only when every file verifies.
    """
    verdicts = _ops.verify(
        list(files), public_key, checkpoint=checkpoint, allow_unanchored=allow_unanchored, now_ms=now_ms
    )
    for v in verdicts:
        if as_json:
            click.echo(_ops.dumps_line(v))
            continue
        click.echo(
            f"OK    {v.path}" + (f"  ({v.message})" if v.message else "") if v.ok else f"FAIL  {v.path}"
        )
        if not v.ok:
            click.echo(f"      {v.code}: {v.message}")
        for w in v.warnings:
            click.echo(f"      warning {w.code}: {w.message}")
    sys.exit(0 if verdicts and all(v.ok for v in verdicts) else 1)


@receipts.group("bundle", epilog=example("clawscope receipts bundle verify evidence.peacbundle", "--offline"))
def receipts_bundle() -> None:
    """Dispute bundles (.peacbundle): create and verify offline."""


@receipts_bundle.command(
    "create",
    epilog=example(
        "clawscope receipts bundle create --receipts audit/ --key",
        "signing-key.jwk --output evidence.peacbundle",
    ),
)
@click.option(
    "--receipts", "source", type=_ANY, required=True, help="Audit dir or folder of Wire 0.2 .jws files."
)
@click.option("--key", type=_FILE, required=True, help="Private JWK that signs bundle.sig.")
@click.option("--output", type=click.Path(path_type=_Path, dir_okay=False), required=True)
@click.option(
    "--public-key", "public_keys", type=_FILE, multiple=True, help="Extra keys that signed receipts."
)
@click.option("--bundle-id", default=None, help="ULID (default: a new one).")
@click.option("--created-at", default=None, help="RFC 3339 time (default: now).")
@click.option("--created-by", default=None, help="Creator URI (default: the receipts' issuer).")
@click.option("--dispute", default=None, help="Dispute reference (ULID).")
@click.option(
    "--kind", type=click.Choice(["dispute", "audit", "archive"]), default="dispute", show_default=True
)
@click.option(
    "--upstream-signature",
    is_flag=True,
    help="Sign only the content hash, as @peac/audit does (default: also state receipt count and range).",
)
@_NOW
@handle_errors
def receipts_bundle_create(
    *,
    source: _Path,
    key: _Path,
    output: _Path,
    public_keys: tuple[_Path, ...],
    bundle_id: str | None,
    created_at: str | None,
    created_by: str | None,
    dispute: str | None,
    kind: str,
    upstream_signature: bool,
    now_ms: int | None,
) -> None:
    """Create a signed .peacbundle from Wire 0.2 receipts (each is verified first)."""
    _warn_key(key)
    spec = {"bundle_id": bundle_id, "created_at": created_at, "created_by": created_by, "dispute": dispute}
    result = _ops.bundle_create(
        source,
        key,
        output,
        public_keys=public_keys,
        kind=kind,
        now_ms=now_ms,
        counted=not upstream_signature,
        **spec,
    )
    click.echo(f"bundle {result['bundle_id']}: {result['receipts']} receipts -> {result['output']}")


@receipts_bundle.command(
    "verify",
    epilog=example(
        "clawscope receipts bundle verify evidence.peacbundle", "--offline --public-key issuer.public.jwk"
    ),
)
@click.argument("bundle", type=_FILE)
@click.option(
    "--offline", is_flag=True, help="Use only the keys inside the bundle (the default and only mode)."
)
@click.option("--public-key", type=_FILE, default=None, help="Pin the issuer key: bundle keys must match it.")
@click.option(
    "--report", type=click.Path(path_type=_Path, dir_okay=False), default=None, help="Write the report."
)
@_NOW
@click.option("--json", "as_json", is_flag=True, help="Print the PEAC verification report as JSON.")
@handle_errors
def receipts_bundle_verify(
    *,
    bundle: _Path,
    offline: bool,
    public_key: _Path | None,
    report: _Path | None,
    now_ms: int | None,
    as_json: bool,
) -> None:
    """Verify a .peacbundle offline: ZIP hygiene, manifest, hashes, bundle.sig and every receipt."""
    del offline  # accepted for the documented PEAC command line; verification never goes online
    result = _ops.bundle_verify(bundle, public_key=public_key, now_ms=now_ms)
    if report is not None and result.report:
        report.write_text(_ops.dumps(result.report) + "\n", encoding="utf-8")
    if as_json:
        click.echo(_ops.dumps(result.report))
    elif result.report:
        click.echo(_ops.bundle_summary(result.report))
    for w in result.warnings:
        click.echo(f"warning {w.code}: {w.message}", err=True)
    if result.code:
        click.echo(f"FAIL {result.code}: {result.message}", err=True)
        sys.exit(1)
    click.echo("OK")


@receipts.command(
    "checkpoint",
    epilog=example(
        "clawscope receipts checkpoint --dir audit/ --key", "signing-key.jwk > checkpoint-2026-01-15.note"
    ),
)
@click.option("--dir", "root", type=click.Path(path_type=_Path, file_okay=False, exists=True), required=True)
@click.option("--key", type=_FILE, required=True, help="Private JWK that signs the checkpoint.")
@click.option("--origin", default=None, help="Log origin (default: kept from the previous checkpoint).")
@handle_errors
def receipts_checkpoint(*, root: _Path, key: _Path, origin: str | None) -> None:
    """Sign the current head of the receipt Merkle log and print the checkpoint (a signed note).

    Keep a copy, or give it to an auditor: later consistency proofs are checked against it.
    """
    _warn_key(key)
    click.echo(_ops.checkpoint(root, key, origin), nl=False)


@receipts.command(
    "prove",
    epilog=example(
        "clawscope receipts prove r_889b8a680561cdcdb0f1e42692888168",
        "--dir audit/ --public-key k.public.jwk",
    ),
)
@click.argument("rid", required=False)
@click.option("--dir", "root", type=click.Path(path_type=_Path, file_okay=False, exists=True), required=True)
@click.option("--public-key", type=_FILE, required=True, help="Key that signed the log checkpoints.")
@click.option(
    "--old-checkpoint", type=_FILE, default=None, help="Prove the latest checkpoint extends this one."
)
@click.option("--output", type=click.Path(path_type=_Path, dir_okay=False), default=None)
@handle_errors
def receipts_prove(
    *, rid: str | None, root: _Path, public_key: _Path, old_checkpoint: _Path | None, output: _Path | None
) -> None:
    """Prove receipt RID is in the log, or (--old-checkpoint) that the log extends an old checkpoint."""
    text = _ops.dumps(_ops.prove(root, public_key, rid, old_checkpoint)) + "\n"
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@receipts.command(
    "verify-proof",
    epilog=example(
        "clawscope receipts verify-proof proof.json --public-key", "k.public.jwk --receipt r_889b....jws"
    ),
)
@click.argument("proof", type=_FILE)
@click.option("--public-key", type=_FILE, required=True, help="Key that signed the log checkpoints.")
@click.option(
    "--receipt", type=_FILE, default=None, help="The receipt (.jws or .peac.json) the proof is about."
)
@click.option(
    "--old-checkpoint", type=_FILE, default=None, help="The checkpoint you kept (consistency proofs)."
)
@handle_errors
def receipts_verify_proof(
    *, proof: _Path, public_key: _Path, receipt: _Path | None, old_checkpoint: _Path | None
) -> None:
    """Check an inclusion or consistency proof offline, with only the log's public key."""
    result = _ops.verify_proof(proof, public_key, receipt=receipt, old_checkpoint=old_checkpoint)
    click.echo("OK " + _ops.dumps_line(result))


COMMANDS = (receipts,)
