"""The `clawscope` command line: thin commands that each call one library function.

Library errors (`ClawscopeError`) become a one-line message and a non-zero exit code, never a
traceback. JSON outputs (`--json`) are documented in the README and kept stable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from clawscope import __version__, analytics
from clawscope.config import Settings, load_settings
from clawscope.errors import ClawscopeError, UsageError
from clawscope.store import Store
from clawscope.store.queries import DIMENSIONS, Filters
from clawscope.timeutil import now_ms, parse_when

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Translate library errors into clean CLI errors."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ClawscopeError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


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


# -- shared options and helpers ---------------------------------------------------------------------

db_option = click.option(
    "--db", "db", metavar="URL", help="Database URL (default: ~/.clawscope/clawscope.db; env CLAWSCOPE_DB)."
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (the shape is documented in the README)."
)


def _settings(**flags: Any) -> Settings:
    return load_settings(flags)


def _open(settings: Settings) -> Store:
    return Store(settings.db_url)


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))


def _filters(since: str | None, until: str | None, **eq: str | None) -> Filters:
    now = now_ms()
    return Filters(
        since_ms=parse_when(since, now, "--since") if since else None,
        until_ms=parse_when(until, now, "--until") if until else None,
        **eq,
    )


def _state_dirs(paths: tuple[str, ...], settings: Settings) -> list[Path]:
    from clawscope.sources.layout import discover_state_dirs, looks_like_state_dir

    if paths:
        dirs = [Path(p).expanduser() for p in paths]
        for d in dirs:
            if not d.is_dir():
                raise UsageError(f"not a directory: {d}")
            if not looks_like_state_dir(d):
                raise UsageError(
                    f"{d} does not look like an OpenClaw state dir (no agents/ folder, no openclaw.json)"
                )
        return dirs
    if settings.state_dirs:
        return list(settings.state_dirs)
    return discover_state_dirs(os.environ, Path.home())


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
    default=20_000,
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

DEMO_SESSIONS = 400


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
            settings = _settings(db=f"sqlite:///{settings.home / 'demo.db'}")
    with _open(settings) as store:
        run_ingest(store, dirs, instance=settings.instance, estimate=settings.price_estimates)
        by_trigger = analytics.stats(store, Filters(), "trigger")
        by_model = analytics.stats(store, Filters(), "model")
        top = analytics.sessions(store, Filters(), limit=5, order="cost")
    print_report(by_trigger, by_model, top, ", ".join(str(d) for d in dirs), demo)


def _demo_state(settings: Settings) -> Path:
    from clawscope.demo import generate, is_demo_dir

    path = settings.home / "demo-state"
    if not is_demo_dir(path):
        click.echo(f"no OpenClaw state found; generating a demo state in {path} …", err=True)
        generate(path, sessions=DEMO_SESSIONS, agents=3, era="sqlite", seed=1)
    return path


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


if __name__ == "__main__":
    main()
