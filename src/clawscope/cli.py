"""The `clawscope` command line: thin commands that each call one library function.

Library errors (`ClawscopeError`) become a one-line message and a non-zero exit code, never a
traceback. JSON outputs (`--json`) are documented in the README and kept stable.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
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
