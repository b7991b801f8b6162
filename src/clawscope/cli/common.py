"""What every command shares: error translation, the common options, settings, state-dir lookup and
the example every `--help` ends with.

Command modules (`cli/*`) import from here, never from each other.
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

from clawscope.config import Settings, load_settings
from clawscope.errors import ClawscopeError, UsageError
from clawscope.model import Filters
from clawscope.store import PAGE_CACHE_MIB, Store
from clawscope.timeutil import now_ms, parse_when

F = TypeVar("F", bound=Callable[..., Any])
DEMO_SESSIONS = 400


class Lazy:
    """A module imported on first use: `clawscope` starts without loading what a command does not need
    (the audit stack, for one, costs a sixth of a second)."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._module), name)


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


def example(*lines: str) -> str:
    """An epilog, so that every --help ends with an example (click prints it after the options)."""
    return "\b\nExample:\n  " + " \\\n    ".join(lines)


db_option = click.option(
    "--db", "db", metavar="URL", help="Database URL (default: ~/.clawscope/clawscope.db; env CLAWSCOPE_DB)."
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (the shape is documented in the README)."
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    help="table (default), json (as --json) or csv (one row per line, the JSON's fields as columns).",
)


def output_format(as_json: bool, fmt: str | None) -> str:
    """The output asked for by `--json` / `--format`."""
    if as_json and fmt not in (None, "json"):
        raise UsageError("--json and --format csv|table contradict each other")
    return "json" if as_json else (fmt or "table")


def echo_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    """Rows as CSV on stdout, through the one CSV writer (exports/csvout.py)."""
    from clawscope.exports import csvout

    cols = columns if columns is not None else (list(rows[0]) if rows else [])
    csvout.write(rows, cols, sys.stdout)


def settings_from(**flags: Any) -> Settings:
    return load_settings(flags)


def open_store(settings: Settings, *, read_only: bool = False, page_cache_mib: int | None = None) -> Store:
    """The store of the settings; a read-only command (`read_only`) never creates a database: one that
    does not exist, or is not clawscope's, is a one-line error. `page_cache_mib`: SQLite's page cache
    per connection (the store's default when None)."""
    return Store(
        settings.db_url,
        must_exist=read_only,
        page_cache_mib=PAGE_CACHE_MIB if page_cache_mib is None else page_cache_mib,
        secrets_key=settings.secrets_key,
        secrets_key_file=settings.secrets_key_path,
    )


def checked_kind(value: str | None, flag: str = "--kind") -> str | None:
    """A `--kind` value checked against the kinds OpenClaw's session keys have (a typo would otherwise
    match nothing and print zeros)."""
    from clawscope.model import SessionKind

    kinds = [k.value for k in SessionKind]
    if value is not None and value not in kinds:
        raise UsageError(f"unknown {flag} {value!r}: one of {', '.join(kinds)}")
    return value


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))


def filters_from(since: str | None, until: str | None, **eq: str | None) -> Filters:
    now = now_ms()
    return Filters(
        since_ms=parse_when(since, now, "--since") if since else None,
        until_ms=parse_when(until, now, "--until") if until else None,
        **eq,
    )


def state_dirs(paths: tuple[str, ...], settings: Settings) -> list[Path]:
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


def demo_state(settings: Settings) -> Path:
    from clawscope.demo import generate, is_demo_dir

    path = settings.home / "demo-state"
    if not is_demo_dir(path):
        click.echo(f"no OpenClaw state found; generating a demo state in {path} …", err=True)
        generate(path, sessions=DEMO_SESSIONS, agents=3, era="sqlite", seed=1, end_ms=now_ms())
    return path
