"""The `clawscope` command line: thin commands that each call one library function.

Library errors (`ClawscopeError`) become a one-line message and a non-zero exit code, never a
traceback. JSON outputs (`--json`) are documented in the README and kept stable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from pathlib import Path as _Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from clawscope import __version__, analytics
from clawscope.commands import apikeys as _apikeys
from clawscope.commands import serve as _serve
from clawscope.commands import sync as _sync
from clawscope.commands.common import (
    Lazy,
    db_option,
    handle_errors,
    json_option,
)
from clawscope.commands.common import demo_state as _demo_state
from clawscope.commands.common import echo_json as _echo_json
from clawscope.commands.common import filters_from as _filters
from clawscope.commands.common import open_store as _open
from clawscope.commands.common import settings_from as _settings
from clawscope.commands.common import state_dirs as _state_dirs
from clawscope.config import Settings
from clawscope.dburl import sqlite_url
from clawscope.errors import UsageError
from clawscope.model import DIMENSIONS, Filters
from clawscope.store import Store

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from clawscope.audit.backfill import BackfillItem


_ops = Lazy("clawscope.audit.operations")
_backfill = Lazy("clawscope.audit.backfill")
_signing = Lazy("clawscope.audit.jws")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="clawscope")
def cli() -> None:
    """clawscope: see what your OpenClaw agents cost, what they did, and prove it.

    \b
    Example:
      clawscope ingest && clawscope stats --by model
    """


def main() -> None:
    cli(prog_name="clawscope")


# -- ingest ---------------------------------------------------------------------------------------------


@cli.command()
@click.argument("state_dirs", nargs=-1, type=click.Path(file_okay=False))
@db_option
@json_option
@click.option("--instance", help="Name for this machine's data (default: the host name).")
@click.option(
    "--no-estimates", is_flag=True, help="Do not estimate the cost of calls OpenClaw did not price."
)
@click.option(
    "--batch-entries",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Entries written per transaction (tuning: memory against commits).",
)
@handle_errors
def ingest(
    state_dirs: tuple[str, ...],
    db: str | None,
    as_json: bool,
    instance: str | None,
    no_estimates: bool,
    batch_entries: int,
) -> None:
    """Ingest OpenClaw state (both storage eras) into the clawscope database.

    Without STATE_DIRS, the OpenClaw state dirs of this machine are found (OPENCLAW_STATE_DIR, or
    ~/.openclaw and the legacy ~/.clawdbot, ~/.moltbot, ~/.moldbot). Re-running reads only what is new.

    \b
    Example:
      clawscope ingest ~/.openclaw --json
    """
    from clawscope.ingest import ingest as run_ingest

    settings = _settings(db=db, instance=instance, price_estimates=False if no_estimates else None)
    dirs = _state_dirs(state_dirs, settings)
    if not dirs:
        raise UsageError("no OpenClaw state dir found; pass one (e.g. clawscope ingest ~/.openclaw)")
    with _open(settings) as store:
        if not as_json and sys.stderr.isatty():
            report = _ingest_with_progress(store, dirs, settings, batch_entries)
        else:
            report = run_ingest(
                store,
                dirs,
                instance=settings.instance,
                estimate=settings.price_estimates,
                batch_entries=batch_entries,
            )
    if as_json:
        _echo_json({"ingested": report.counts(), "problems": report.problems})
    else:
        c = report.counts()
        click.echo(
            f"ingested {c['sessions']} sessions, {c['entries']} entries, {c['llmCalls']} model calls, "
            f"{c['toolCalls']} tool calls from {c['files']} sources in {report.seconds:.1f}s"
            + (f"; {report.problems} new problems (clawscope problems)" if report.problems else "")
        )


def _ingest_with_progress(store: Store, dirs: list[Path], settings: Settings, batch_entries: int) -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from clawscope.ingest import ingest as run_ingest

    with Progress("ingesting", BarColumn(), DownloadColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("ingest", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        return run_ingest(
            store,
            dirs,
            instance=settings.instance,
            estimate=settings.price_estimates,
            progress=on_progress,
            batch_entries=batch_entries,
        )


# -- stats, sessions, problems ----------------------------------------------------------------------


@cli.command()
@db_option
@json_option
@click.option("--since", metavar="ISO|7d", help="Start of the period (inclusive).")
@click.option("--until", metavar="ISO|7d", help="End of the period (exclusive).")
@click.option("--by", type=click.Choice(DIMENSIONS), help="Break the totals down by this dimension.")
@click.option("--agent", help="Only this agent.")
@click.option("--kind", help="Only sessions of this kind (main, subagent, cron-run, …).")
@handle_errors
def stats(
    db: str | None,
    as_json: bool,
    since: str | None,
    until: str | None,
    by: str | None,
    agent: str | None,
    kind: str | None,
) -> None:
    """Cost, tokens, model calls, tool calls and errors, in total or by a dimension.

    \b
    Example:
      clawscope stats --since 7d --by model
    """
    settings = _settings(db=db)
    with _open(settings) as store:
        result = analytics.stats(store, _filters(since, until, agent=agent, kind=kind), by)
    if as_json:
        _echo_json(result)
        return
    from clawscope.render import print_stats

    print_stats(result)


@cli.command()
@db_option
@json_option
@click.option("--agent", help="Only this agent.")
@click.option("--kind", help="Only sessions of this kind (main, subagent, cron-run, heartbeat, …).")
@click.option("--since", metavar="ISO|7d", help="Only sessions active since then.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (most recent first).")
@handle_errors
def sessions(
    db: str | None, as_json: bool, agent: str | None, kind: str | None, since: str | None, limit: int | None
) -> None:
    """List transcript sessions with their cost, calls and errors.

    \b
    Example:
      clawscope sessions --kind subagent --since 2026-11-01
    """
    settings = _settings(db=db)
    with _open(settings) as store:
        rows = analytics.sessions(store, _filters(since, None, agent=agent, kind=kind), limit)
    if as_json:
        _echo_json(rows)
        return
    from clawscope.render import print_sessions

    print_sessions(rows)


@cli.command()
@db_option
@json_option
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@handle_errors
def problems(db: str | None, as_json: bool, limit: int | None) -> None:
    """Input that could not be used as is: where it was and why (nothing is dropped silently).

    \b
    Example:
      clawscope problems --json
    """
    settings = _settings(db=db)
    with _open(settings) as store:
        rows = analytics.problems(store, limit)
    if as_json:
        _echo_json(rows)
        return
    from clawscope.render import print_problems

    print_problems(rows)


# -- report (what `make run` runs) ----------------------------------------------------------------------


@cli.command()
@db_option
@click.option(
    "--state",
    "state",
    multiple=True,
    type=click.Path(file_okay=False),
    help="OpenClaw state dir (repeatable).",
)
@click.option(
    "--demo", "force_demo", is_flag=True, help="Report on a generated demo state even if OpenClaw is found."
)
@handle_errors
def report(db: str | None, state: tuple[str, ...], force_demo: bool) -> None:
    """Ingest this machine's OpenClaw state and print what it cost, where and why.

    Without any OpenClaw state (or with --demo), a demo state is generated under ~/.clawscope and
    reported on instead, into its own database, and the report says so.

    \b
    Example:
      clawscope report --state ~/.openclaw
    """
    from clawscope.ingest import ingest as run_ingest
    from clawscope.render import print_report

    settings = _settings(db=db)
    dirs = [] if force_demo else _state_dirs(state, settings)
    demo = not dirs
    if demo:
        dirs = [_demo_state(settings)]
        if db is None and not os.environ.get("CLAWSCOPE_DB"):
            settings = _settings(db=sqlite_url(settings.home / "demo.db"))
    with _open(settings) as store:
        run_ingest(store, dirs, instance=settings.instance, estimate=settings.price_estimates)
        by_trigger = analytics.stats(store, Filters(), "trigger")
        by_model = analytics.stats(store, Filters(), "model")
        top = analytics.sessions(store, Filters(), limit=5, order="cost")
    print_report(by_trigger, by_model, top, ", ".join(str(d) for d in dirs), demo)


# -- demo -------------------------------------------------------------------------------------------------


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--sessions", default=200, show_default=True, help="Transcript sessions to write (all agents).")
@click.option("--agents", default=3, show_default=True, help="Number of agents (main, work, research, …).")
@click.option(
    "--era",
    type=click.Choice(["jsonl", "sqlite"]),
    default="jsonl",
    show_default=True,
    help="jsonl: OpenClaw ≤ 2026.7 files; sqlite: 2026.8+ openclaw-agent.sqlite per agent.",
)
@click.option("--seed", default=42, show_default=True, help="Same seed, same bytes.")
@handle_errors
def demo(out_dir: Path, sessions: int, agents: int, era: str, seed: int) -> None:
    """Write a realistic synthetic OpenClaw state dir into OUT_DIR.

    Main, group, cron, heartbeat and sub-agent sessions over 45 days, with tool failures, provider
    retries, compactions and several models. OUT_DIR must be empty, new, or a previous demo. The
    generator's own counts are written to OUT_DIR/demo-totals.json.

    \b
    Example:
      clawscope demo /tmp/claw-demo --sessions 500 --era sqlite --seed 7
    """
    from clawscope.demo import generate

    t = generate(out_dir, sessions=sessions, agents=agents, era=era, seed=seed)
    a = t.all
    click.echo(
        f"wrote {a.sessions} sessions ({t.records} records, {a.llmCalls} model calls, "
        f"{a.toolCalls} tool calls, ${a.costUSD:.2f}) for {agents} agent(s), {era} era, seed {seed}, "
        f"into {out_dir}"
    )


# =================================================================================================
# receipts (audit) — tamper-evident signed receipts of tool calls. Owner: the `audit` branch.
# Every command calls one function of `clawscope.audit.operations`; README "## Receipts (audit)".
# =================================================================================================


_FILE = click.Path(path_type=_Path, dir_okay=False, exists=True)
_ANY = click.Path(path_type=_Path, exists=True)
_DIR = click.Path(path_type=_Path, file_okay=False)
_NOW = click.option(
    "--now-ms", type=int, default=None, help="Freeze the clock (ms since epoch): reproducible output."
)


def _example(*lines: str) -> str:
    """An epilog, so that every --help ends with an example (click prints it after the options)."""
    return "\b\nExample:\n  " + " \\\n    ".join(lines)


def _warn_key(path: _Path) -> None:
    warning = _signing.key_file_warning(path)
    if warning:
        click.echo(f"warning: {warning}", err=True)


@cli.group(epilog=_example("clawscope receipts keygen --out ~/.clawscope/receipts.jwk"))
def receipts() -> None:
    """Signed, tamper-evident receipts of tool calls (PEAC-compatible), bundles and log proofs."""


@receipts.command("keygen", epilog=_example("clawscope receipts keygen --out signing-key.jwk"))
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
    epilog=_example(
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
    store = _open(_settings(db=db))
    try:
        found = store.sessions_with_tool_calls(session)
        if session and not found:
            raise UsageError(f"no session {session!r} in {store.url}")
        for session_id, key, agent_id in found:
            yield from _backfill.items_from_records(
                session_id, store.session_records(session_id), key, agent_id, store.url
            )
    finally:
        store.close()


@receipts.command(
    "backfill",
    epilog=_example(
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
    "verify", epilog=_example("clawscope receipts verify audit/ --public-key", "signing-key.public.jwk")
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


@receipts.group(
    "bundle", epilog=_example("clawscope receipts bundle verify evidence.peacbundle", "--offline")
)
def receipts_bundle() -> None:
    """Dispute bundles (.peacbundle): create and verify offline."""


@receipts_bundle.command(
    "create",
    epilog=_example(
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
    now_ms: int | None,
) -> None:
    """Create a signed .peacbundle from Wire 0.2 receipts (each is verified first)."""
    _warn_key(key)
    spec = {"bundle_id": bundle_id, "created_at": created_at, "created_by": created_by, "dispute": dispute}
    result = _ops.bundle_create(
        source, key, output, public_keys=public_keys, kind=kind, now_ms=now_ms, **spec
    )
    click.echo(f"bundle {result['bundle_id']}: {result['receipts']} receipts -> {result['output']}")


@receipts_bundle.command(
    "verify",
    epilog=_example(
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
    epilog=_example(
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
    epilog=_example(
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
    epilog=_example(
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


# ============================================ end receipts ========================================


# -- commands defined in their own modules -------------------------------------------------------------

cli.add_command(_serve.serve)
cli.add_command(_apikeys.api_key)
cli.add_command(_sync.sync)


if __name__ == "__main__":
    main()
