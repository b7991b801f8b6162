"""`clawscope stats`, `sessions` and `problems`: the numbers of the database, as tables or as JSON (the
shapes are documented in the README and kept stable)."""

from __future__ import annotations

import click

from clawscope import analytics
from clawscope.cli.common import (
    checked_kind,
    db_option,
    echo_csv,
    echo_json,
    filters_from,
    format_option,
    handle_errors,
    json_option,
    open_store,
    output_format,
    settings_from,
)
from clawscope.model import DIMENSIONS


@click.command()
@db_option
@json_option
@click.option("--since", metavar="ISO|7d", help="Start of the period (inclusive).")
@click.option("--until", metavar="ISO|7d", help="End of the period (exclusive).")
@click.option("--by", type=click.Choice(DIMENSIONS), help="Break the totals down by this dimension.")
@click.option("--agent", help="Only this agent.")
@click.option("--kind", help="Only sessions of this kind (main, subagent, cron-run, …).")
@format_option
@handle_errors
def stats(
    db: str | None,
    as_json: bool,
    since: str | None,
    until: str | None,
    by: str | None,
    agent: str | None,
    kind: str | None,
    fmt: str | None,
) -> None:
    """Cost, tokens, model calls, tool calls and errors, in total or by a dimension.

    \b
    Example:
      clawscope stats --since 7d --by model
    """
    out = output_format(as_json, fmt)
    f = filters_from(since, until, agent=agent, kind=checked_kind(kind))
    settings = settings_from(db=db)
    with open_store(settings, read_only=True) as store:
        result = analytics.stats(store, f, by)
    if out == "json":
        echo_json(result)
        return
    if out == "csv":  # the groups (or the totals, without --by), one per row
        echo_csv(result["groups"] if by else [result["totals"]])
        return
    from clawscope.cli.render import print_stats

    print_stats(result)


@click.command()
@db_option
@json_option
@click.option("--agent", help="Only this agent.")
@click.option("--kind", help="Only sessions of this kind (main, subagent, cron-run, heartbeat, …).")
@click.option("--since", metavar="ISO|7d", help="Only sessions active since then.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (most recent first).")
@format_option
@handle_errors
def sessions(
    db: str | None,
    as_json: bool,
    agent: str | None,
    kind: str | None,
    since: str | None,
    limit: int | None,
    fmt: str | None,
) -> None:
    """List transcript sessions with their cost, calls and errors.

    \b
    Example:
      clawscope sessions --kind subagent --since 2026-11-01
    """
    out = output_format(as_json, fmt)
    f = filters_from(since, None, agent=agent, kind=checked_kind(kind))
    settings = settings_from(db=db)
    with open_store(settings, read_only=True) as store:
        rows = analytics.sessions(store, f, limit)
    if out == "json":
        echo_json(rows)
        return
    if out == "csv":
        from clawscope.exports.files import SESSION_COLUMNS

        echo_csv(rows, list(SESSION_COLUMNS))
        return
    from clawscope.cli.render import print_sessions

    print_sessions(rows)


@click.command()
@db_option
@json_option
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@format_option
@handle_errors
def problems(db: str | None, as_json: bool, limit: int | None, fmt: str | None) -> None:
    """Input that could not be used as is: where it was and why (nothing is dropped silently).

    \b
    Example:
      clawscope problems --json
    """
    out = output_format(as_json, fmt)
    settings = settings_from(db=db)
    with open_store(settings, read_only=True) as store:
        rows = analytics.problems(store, limit)
    if out == "json":
        echo_json(rows)
        return
    if out == "csv":
        columns = ["id", "source", "path", "location", "code", "severity", "reason", "excerpt", "firstSeenAt"]
        echo_csv(rows, columns)
        return
    from clawscope.cli.render import print_problems

    print_problems(rows)


COMMANDS = (stats, sessions, problems)
