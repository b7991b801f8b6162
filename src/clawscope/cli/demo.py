"""`clawscope demo`: write a realistic synthetic OpenClaw state dir (either storage era), reproducible
by its seed."""

from __future__ import annotations

from pathlib import Path

import click

from clawscope.cli.common import handle_errors


@click.command()
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


COMMANDS = (demo,)
