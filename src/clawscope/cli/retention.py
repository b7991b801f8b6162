"""`clawscope vacuum`: prune the raw transcript text of sessions idle for longer than the retention
setting (`transcript_retention_days`, or `--days`), keep every number, and give the space back.

`serve` runs the same prune periodically when the setting is on; this command is the on-demand twin
(and `--dry-run` shows what a run would prune without changing anything)."""

from __future__ import annotations

import click

from clawscope.cli.common import (
    db_option,
    echo_json,
    example,
    handle_errors,
    json_option,
    open_store,
    settings_from,
)
from clawscope.config import parse_days
from clawscope.errors import UsageError
from clawscope.store import RetentionReport


@click.command(epilog=example("clawscope vacuum --days 90 --dry-run"))
@db_option
@click.option(
    "--days",
    metavar="N",
    help="Keep the text of sessions active in the last N days (default: setting transcript_retention_days).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be pruned; change nothing.")
@click.option(
    "--full", is_flag=True, help="PostgreSQL: VACUUM FULL (returns the space to the system; locks)."
)
@json_option
@handle_errors
def vacuum(db: str | None, days: str | None, dry_run: bool, full: bool, as_json: bool) -> None:
    """Prune old transcript text, keep every number, reclaim the space.

    Sessions whose last activity is older than the retention lose their raw transcript text (entry
    blocks and search index rows); their sessions, model calls, tool calls, roll-ups, findings and
    receipts stay, so every total is unchanged. Replay and search say which sessions were pruned, and
    detection no longer runs on them. Then the database is vacuumed (SQLite `VACUUM`, PostgreSQL
    `VACUUM`). `--json` prints {"dryRun", "retentionDays", "cutoff", "sessions", "entries", "textBytes",
    "searchRows", "vacuumed", "dbBytesBefore", "dbBytesAfter", "bytesReclaimed"}.
    """
    settings = settings_from(db=db)
    keep = settings.transcript_retention_days if days is None else _flag_days(days)
    if keep < 1:
        raise UsageError(
            "no retention is set: pass --days N or set transcript_retention_days (config file or "
            "CLAWSCOPE_TRANSCRIPT_RETENTION_DAYS); nothing was pruned"
        )
    with open_store(settings, read_only=True) as store:
        report = store.retention.run(keep, dry_run=dry_run, vacuum="full" if full else "always")
    if as_json:
        echo_json(report.as_json())
    else:
        click.echo(describe(report))


def _flag_days(value: str) -> int:
    try:
        keep = parse_days(value, "--days")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if keep < 1:
        raise UsageError("--days must be at least 1 (without it, the setting transcript_retention_days)")
    return keep


def describe(report: RetentionReport) -> str:
    """The report as two plain lines."""
    out = report.as_json()
    verb = "would prune" if report.dry_run else "pruned"
    line = (
        f"{verb} the transcript text of {out['sessions']} sessions idle since before "
        f"{str(out['cutoff'])[:10]} ({report.days} days): {report.entries} entries, "
        f"{_size(report.text_bytes)} of stored text, {report.search_rows} search index rows"
    )
    if report.dry_run:
        return line + "\nnothing was changed (--dry-run)"
    if not report.vacuumed:
        return line + "\nnothing to vacuum"
    return line + (
        f"\nvacuum: {_size(report.db_bytes_before)} -> {_size(report.db_bytes_after)} "
        f"({_size(out['bytesReclaimed'])} reclaimed)"
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


COMMANDS = (vacuum,)
