"""`clawscope ingest` and `clawscope report`: read this machine's OpenClaw state into the database, and the
report `make run` prints (cost by trigger and model, the costliest sessions)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from clawscope import analytics
from clawscope.cli.common import (
    db_option,
    demo_state,
    echo_json,
    handle_errors,
    json_option,
    open_store,
    settings_from,
)
from clawscope.cli.common import (
    state_dirs as find_state_dirs,
)
from clawscope.cli.render import counted
from clawscope.config import Settings
from clawscope.dburl import sqlite_url
from clawscope.detect.service import detect
from clawscope.errors import UsageError
from clawscope.model import Filters
from clawscope.store import INGEST_PAGE_CACHE_MIB, Store


@click.command()
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
@click.option("--no-detect", is_flag=True, help="Do not run the failure detectors on what changed.")
@handle_errors
def ingest(
    state_dirs: tuple[str, ...],
    db: str | None,
    as_json: bool,
    instance: str | None,
    no_estimates: bool,
    batch_entries: int,
    no_detect: bool,
) -> None:
    """Ingest OpenClaw state (both storage eras) into the clawscope database.

    Without STATE_DIRS, the OpenClaw state dirs of this machine are found (OPENCLAW_STATE_DIR, or
    ~/.openclaw and the legacy ~/.clawdbot, ~/.moltbot, ~/.moldbot). Re-running reads only what is new.
    Then the failure detectors run on the sessions that changed (unless --no-detect or detect_live off),
    and the judge, when one is configured (setting `judge`), on those of them the offline tier found
    uncertain.

    \b
    Example:
      clawscope ingest ~/.openclaw --json
    """
    from clawscope.detect.judge.config import judge_config
    from clawscope.ingest import ingest as run_ingest
    from clawscope.ingest.heap import return_freed_memory

    return_freed_memory()  # (this process's peak memory: see ingest/heap.py)

    settings = settings_from(
        db=db,
        instance=instance,
        price_estimates=False if no_estimates else None,
        detect_live=False if no_detect else None,
    )
    judge_cfg = judge_config(settings.judge, os.environ) if settings.detect_live else None
    dirs = find_state_dirs(state_dirs, settings)
    if not dirs:
        raise UsageError("no OpenClaw state dir found; pass one (e.g. clawscope ingest ~/.openclaw)")
    with open_store(settings, page_cache_mib=INGEST_PAGE_CACHE_MIB) as store:  # peak memory, not scans
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
        found = detect(store, settings.detectors) if settings.detect_live else None
        judged = None
        if judge_cfg is not None and found is not None:  # (its imports are a tenth of a re-run)
            from clawscope.detect.judge.follow import judge_touched

            judged = judge_touched(store, judge_cfg, found)
    if as_json:  # the shape is a contract: findings are read with `clawscope detect --json`
        out = {"ingested": report.counts(), "problems": report.problems}
        echo_json({**out, "judge": judged.as_json()} if judged is not None else out)
    else:
        c = report.counts()
        click.echo(
            f"ingested {counted(c['sessions'], 'session')}, {counted(c['entries'], 'entry')}, "
            f"{counted(c['llmCalls'], 'model call')}, {counted(c['toolCalls'], 'tool call')} from "
            f"{counted(c['files'], 'source')} in {report.seconds:.1f}s"
            + (f"; {counted(report.problems, 'new problem')} (clawscope problems)" if report.problems else "")
            + (
                f"; {counted(len(found.new), 'new finding')} (clawscope detect)"
                if found is not None and found.new
                else ""
            )
        )
        if judged is not None:
            from clawscope.cli.detect import print_judge

            print_judge(judged.as_json())


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


@click.command()
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
    from clawscope.cli.render import print_report
    from clawscope.ingest import ingest as run_ingest

    settings = settings_from(db=db)
    dirs = [] if force_demo else find_state_dirs(state, settings)
    demo = not dirs
    if demo:
        dirs = [demo_state(settings)]
        if db is None and not os.environ.get("CLAWSCOPE_DB"):
            settings = settings_from(db=sqlite_url(settings.home / "demo.db"))
    with open_store(settings) as store:
        run_ingest(store, dirs, instance=settings.instance, estimate=settings.price_estimates)
        by_trigger = analytics.stats(store, Filters(), "trigger")
        by_model = analytics.stats(store, Filters(), "model")
        top = analytics.sessions(store, Filters(), limit=5, order="cost")
    print_report(by_trigger, by_model, top, ", ".join(str(d) for d in dirs), demo)


COMMANDS = (ingest, report)
