"""`clawscope export sessions|calls|tools|findings`: a period's rows as CSV or JSON Lines, streamed
(memory stays flat on millions of rows), to a file or stdout."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clawscope.cli.common import (
    Lazy,
    checked_kind,
    db_option,
    example,
    filters_from,
    handle_errors,
    open_store,
    settings_from,
)
from clawscope.errors import UsageError

files = Lazy("clawscope.exports.files")
KINDS = ("sessions", "calls", "tools", "findings")


@click.command("export", epilog=example("clawscope export calls --format csv --since 30d --out calls.csv"))
@click.argument("kind", type=click.Choice(KINDS))
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl", show_default=True)
@click.option("--since", metavar="ISO|7d", help="Start of the period (inclusive; sessions: active since).")
@click.option("--until", metavar="ISO|7d", help="End of the period (exclusive).")
@click.option("--agent", help="Only this agent.")
@click.option("--kind", "session_kind", help="Only sessions of this kind (main, subagent, cron-run, …).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@handle_errors
def export(
    kind: str,
    db: str | None,
    fmt: str,
    since: str | None,
    until: str | None,
    agent: str | None,
    session_kind: str | None,
    out: Path | None,
) -> None:
    """Export sessions, model calls, tool calls or findings as CSV or JSON Lines.

    Columns are named as the REST API names the same fields (see the README).
    """
    f = filters_from(since, until, agent=agent, kind=checked_kind(session_kind))
    files.exporter(kind)  # an unknown or unavailable kind fails before anything is written
    settings = settings_from(db=db)
    with open_store(settings, read_only=True) as store:
        if out is None:
            n = files.export(store, kind, fmt, f, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            try:
                with out.open("wb") as fh:
                    n = files.export(store, kind, fmt, f, fh)
            except OSError as exc:
                raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(f"{n} {kind} exported", err=True)


COMMANDS = (export,)
