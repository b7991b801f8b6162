"""The re-run's shortcut through a sessions folder: the stamps of the files an earlier run found with
nothing left to read, saved as one cursor per folder.

A stamp is a 64-bit digest of a file's name, size, mtime, inode and device. A file whose stamp is in
the folder's manifest is passed with one `stat` and no decision of its own: its cursor is not fetched
or decoded, its name not classified. At 4M lines (190,000 files) fetching every file's cursor and
deciding per file was most of a re-run; the manifest of that folder is 1.5 MB.

What goes in is what a cursor of the same unit or an earlier one proves: a transcript file read to
its end (or its cut-off last line reported), stamped as its cursor saw it (size, mtime and identity
from the same `fstat`: a file that grew meanwhile does not match), and any other file of the folder
(store, locks, sidecars: never read as transcripts). Either only once it has settled (archives at
once, a file still being written 5 minutes after its last change), so that a live session does not
rewrite the manifest on every run. Whatever changes a file's stamp (an append, a rewrite, a copy
renamed over it) takes it out of the shortcut, back to its cursor.
"""

from __future__ import annotations

import os
import struct
import sys
from array import array
from collections.abc import Iterable
from hashlib import blake2b

import msgspec

_FIELDS = struct.Struct("<qqQQ")  # size, mtime (ns), device, inode: 32 bytes after the name
KEY = "jsonl-manifest:"  # + the sessions folder's path: the cursor that holds its manifest


def stamp(name: str, size: int, mtime_ns: int, identity: str) -> int:
    """The stamp of file `name` (in its folder) at this size, mtime and identity (`device:inode`)."""
    dev, _, ino = identity.partition(":")
    try:
        return _digest(name.encode() + _FIELDS.pack(size, mtime_ns, int(dev), int(ino)))
    except struct.error as exc:  # (and int()'s own ValueError: an identity not `device:inode`)
        raise ValueError(f"not a file's stamp: {exc}") from exc


def stamp_of(name: str, st: os.stat_result) -> int:
    """The stamp of file `name` as `st` describes it (`stamp`'s, built in one step: it runs once per
    file of every re-run)."""
    return _digest(name.encode() + _FIELDS.pack(st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino))


def _digest(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


def encode(stamps: Iterable[int]) -> bytes:
    """A manifest's stored form: its stamps as little-endian 64-bit words, sorted."""
    words = array("Q", sorted(stamps))
    if sys.byteorder != "little":
        words.byteswap()
    return words.tobytes()


def decode(raw: bytes | None) -> set[int]:
    """The stamps of a saved manifest (cursor value), or none when there is none or it is damaged:
    then every file is decided from its own cursor, as without a manifest."""
    if raw is None:
        return set()
    try:
        data = msgspec.json.decode(raw, type=bytes)
    except msgspec.DecodeError:  # (a ValidationError too)
        return set()
    if len(data) % 8:
        return set()
    words = array("Q", data)
    if sys.byteorder != "little":
        words.byteswap()
    return set(words)
