"""`clawscope detect`: ingest the given state dirs, run every failure detector over their sessions and
print the findings, as a table or as JSON; `--fail-on SEVERITY` makes it a CI gate (exit 1)."""

from __future__ import annotations

import sys
from typing import Any

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
from clawscope.cli.common import state_dirs as checked_state_dirs
from clawscope.errors import UsageError
from clawscope.model.detection import FAMILIES, FindingSeverity
from clawscope.store import FindingQuery, StoredFinding
from clawscope.timeutil import now_ms, parse_when

SEVERITIES = tuple(s.value for s in FindingSeverity)


@click.command(
    epilog=example("clawscope detect ~/.openclaw --since 7d --fail-on warning", "--json > findings.json")
)
@click.argument("state_dirs", nargs=-1, type=click.Path(file_okay=False))
@db_option
@click.option("--since", metavar="ISO|7d", help="Only sessions active since then.")
@click.option(
    "--family",
    "families",
    multiple=True,
    type=click.Choice(FAMILIES),
    help="Only the detectors of this family (repeatable).",
)
@json_option
@click.option(
    "--judge",
    "use_judge",
    is_flag=True,
    help="Ask the configured judge (setting `judge`) about every session in scope, not only uncertain ones.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit with status 1 when a printed finding has this severity or a higher one.",
)
@handle_errors
def detect(
    state_dirs: tuple[str, ...],
    db: str | None,
    since: str | None,
    families: tuple[str, ...],
    as_json: bool,
    use_judge: bool,
    fail_on: str | None,
) -> None:
    """Find what went wrong: loops, tool abuse, risky commands, deep spawns, PII in groups, … .

    Ingests the given OpenClaw state dirs (as `clawscope ingest` does; none: the database as it is),
    runs every detector over their sessions (only what changed since the last run is looked at again)
    and prints the open findings of the sessions examined. `--json` prints
    {"findings": [...], "sessions": N} (and "judge": {...} when a judge ran).
    """
    import os

    from clawscope.detect.judge.config import judge_config
    from clawscope.detect.service import detect as run_detect
    from clawscope.detect.service import finding_json
    from clawscope.ingest import ingest

    settings = settings_from(db=db)
    judge_cfg = judge_config(settings.judge, os.environ)
    if use_judge and judge_cfg is None:
        raise UsageError("--judge: no judge is configured (set judge.base_url and judge.model)")
    dirs = checked_state_dirs(state_dirs, settings) if state_dirs else []
    since_ms = parse_when(since, now_ms(), "--since") if since else None
    with open_store(settings) as store:
        if dirs:
            ingest(store, dirs, instance=settings.instance, estimate=settings.price_estimates)
        scope = store.detection.session_ids(since_ms=since_ms)
        run_detect(store, settings.detectors, session_ids=scope, families=families or None)
        judged = None
        if judge_cfg is not None:
            from clawscope.detect.judge.run import judge

            judged = judge(store, judge_cfg, scope, on_demand=use_judge).as_json()
        found = store.findings.of_sessions(scope, FindingQuery(status="open", families=families))
    if as_json:
        out = {"findings": [finding_json(f) for f in found], "sessions": len(scope)}
        echo_json({**out, "judge": judged} if judged is not None else out)
    else:
        _print(found, len(scope))
        if judged is not None:
            print_judge(judged)
    if fail_on is not None:
        floor = FindingSeverity(fail_on).rank
        if any(FindingSeverity(f.severity).rank >= floor for f in found):
            sys.exit(1)


def _print(found: list[StoredFinding], sessions: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not found:
        console.print(f"no findings in {sessions} sessions")
        return
    table = Table(title=f"{len(found)} findings in {sessions} sessions")
    for col in ("severity", "family", "detector", "session", "agent", "entries", "message"):
        table.add_column(col)
    style = {"critical": "bold red", "warning": "yellow", "info": "dim"}
    for f in found:
        table.add_row(
            f"[{style.get(f.severity, '')}]{f.severity}[/]",
            f.family,
            f.detector,
            f.session_id[:13],
            f.agent or "-",
            str(len(f.entry_ids)),
            f.message,
        )
    console.print(table)


def print_judge(judged: dict[str, Any]) -> None:
    """The judge's work and its own spend, apart from the agents'."""
    spend = judged["spendToday"]
    click.echo(
        f"judge: {judged['asked']} asked, {judged['cached']} cached, {judged['found']} findings, "
        f"{judged['fallbacks']} kept offline; today {spend.get('inputTokens', 0)} in / "
        f"{spend.get('outputTokens', 0)} out tokens, ${spend.get('costUsd', 0):.4f} (judge only)"
    )
    for note in judged["notes"][:20]:
        click.echo(f"  note: {note}")


COMMANDS = (detect,)
