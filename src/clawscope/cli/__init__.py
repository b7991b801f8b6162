"""The `clawscope` command line: thin commands that each call one library function.

One module per command group, each listing its commands in `COMMANDS`: `ingest` (ingest, report),
`browse` (stats, sessions, problems), `receipts`, `serve`, `apikeys` (api-key), `sync`, `demo`,
`grafana`, `exports` (export), `otlp`, `mcp`,
`detect`, `alerts` and `retention` (vacuum); their
shared options and error translation are in `common`, their terminal tables in `render`. A new command
group is a new module here with its `COMMANDS`, added to `GROUPS` below (a test checks that every
module with commands is).

Library errors (`ClawscopeError`) become a one-line message and a non-zero exit code, never a
traceback. JSON outputs (`--json`) are documented in the README and kept stable.
"""

from __future__ import annotations

import click

from clawscope import __version__
from clawscope.cli import (
    alerts,
    apikeys,
    browse,
    demo,
    exports,
    grafana,
    ingest,
    mcp,
    otlp,
    receipts,
    retention,
    serve,
    sync,
)
from clawscope.cli import detect as detect_cmd

GROUPS = (
    ingest,
    browse,
    receipts,
    serve,
    apikeys,
    sync,
    demo,
    grafana,
    exports,
    otlp,
    mcp,
    detect_cmd,
    alerts,
    retention,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="clawscope")
def cli() -> None:
    """clawscope: see what your OpenClaw agents cost, what they did, and prove it.

    \b
    Example:
      clawscope ingest && clawscope stats --by model
    """


for _group in GROUPS:
    for _command in _group.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    cli(prog_name="clawscope")


__all__ = ["GROUPS", "cli", "main"]
