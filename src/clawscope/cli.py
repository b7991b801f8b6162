"""The `clawscope` command line: thin commands that each call one library function.

Library errors (`ClawscopeError`) become a one-line message and a non-zero exit code, never a
traceback. JSON outputs (`--json`) are documented in the README and kept stable.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from clawscope import __version__
from clawscope.errors import ClawscopeError

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


# ---- demo (helper branch `demo`) ----------------------------------------------------------------


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
