"""Database URLs as users type them, made into the one form the store opens: the one URL normaliser.

`sqlite_url(path)` is the URL of a SQLite file (the default database, the demo's); `normalize(url)`
accepts `postgres://…`, `postgresql://…`, a bare file path and `sqlite:///~/…`, picks our drivers and
expands `~`. SQLite opens the path exactly as the URL spells it, so `~` is expanded here, once, for
both the folder that is created and the file that is opened.
"""

from __future__ import annotations

from pathlib import Path

_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_url(path: Path | str) -> str:
    """The URL of the SQLite file at `path` (`~` expanded)."""
    return "sqlite:///" + str(Path(path).expanduser())


def normalize(url: str) -> str:
    """Our drivers, `~` expanded; a bare path is a SQLite file (made absolute)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:
        return sqlite_url(Path(url).expanduser().resolve())
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix + "~"):
            path, sep, query = url[len(prefix) :].partition("?")
            return prefix + str(Path(path).expanduser()) + sep + query
    return url


def sqlite_file(url: str) -> str | None:
    """The file path of a SQLite URL; None for other databases and for an in-memory one."""
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix):
            path = url[len(prefix) :].partition("?")[0]
            return None if path in ("", ":memory:") else path
    return None
