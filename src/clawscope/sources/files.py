"""Opening OpenClaw's files safely: only regular files are read, whole-file reads are bounded, and
whatever cannot be read is a reason in words (an `unreadable` problem), never an exception.

A state dir is not always what it should be: a FIFO named `*.jsonl` blocks a plain `open()` forever,
a symlink to `/dev/zero` grows memory without end, a directory or a symlink to `.` raises
`IsADirectoryError`, a transcript without read permission `PermissionError`, and symlink loops and
dangling links vanish from a listing without a word. `why_unreadable` names each from a `stat`;
`open_regular` opens without blocking (O_NONBLOCK) and checks the opened file itself (no race between
the check and the read); `read_bounded` reads a whole file of at most a given size.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from typing import BinaryIO

from clawscope.model import Problem, ProblemCode, Severity

_PIECE = 1 << 20
MAX_JSON_BYTES = 256 << 20  # a registry or sessions.json read whole (the largest seen are a few MB)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnreadableError(Exception):
    """The path cannot be read as a file; `reason` says why, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def _os_reason(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop (the link resolves to itself)"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"dangling symlink (to {os.readlink(path)!r}, which does not exist)"
    if exc.errno in (errno.EISDIR, errno.ENXIO):
        return "not a regular file"
    return f"cannot read: {exc.strerror or exc}"


def why_unreadable(path: str) -> str | None:
    """Why `path` cannot be read as a regular file (None: it can, as far as `stat` tells, or it is
    gone, which is no problem: a file removed since the folder was listed)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return _os_reason(path, FileNotFoundError(errno.ENOENT, "gone")) if os.path.islink(path) else None
    except OSError as exc:
        return _os_reason(path, exc)
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file ({_kind(st.st_mode)}): only regular files are read"
    return None


def open_regular(path: str, max_bytes: int | None = None) -> BinaryIO:
    """Open a regular file for reading; `UnreadableError` for anything else (never blocks)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UnreadableError(_os_reason(path, exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableError(f"not a regular file ({_kind(st.st_mode)}): only regular files are read")
        if max_bytes is not None and st.st_size > max_bytes:
            raise UnreadableError(f"larger than {max_bytes >> 20} MiB ({st.st_size} bytes): not read")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: str, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """A whole regular file of at most `max_bytes` (`UnreadableError` otherwise)."""
    with open_regular(path, max_bytes) as fh:
        try:
            # the size it has now, in one allocation (`read(max_bytes + 1)` allocated the whole bound,
            # 256 MiB, for a file of a few MB; pieces joined held the file twice)
            data = fh.read(min(os.fstat(fh.fileno()).st_size, max_bytes) + 1)
            chunks, total = [data], len(data)
            while total <= max_bytes and (piece := fh.read(min(_PIECE, max_bytes + 1 - total))):
                chunks.append(piece)  # it grew since: the rest in pieces, up to the bound
                total += len(piece)
        except OSError as exc:
            raise UnreadableError(_os_reason(path, exc)) from None
    data = data if len(chunks) == 1 else b"".join(chunks)
    if len(data) > max_bytes:  # it grew since the check
        raise UnreadableError(f"larger than {max_bytes >> 20} MiB: not read")
    return data


def unreadable(source: str, path: str, reason: str) -> Problem:
    """The problem that says a file could not be read, and why."""
    return Problem(source, path, "file", ProblemCode.UNREADABLE, reason, Severity.ERROR)
