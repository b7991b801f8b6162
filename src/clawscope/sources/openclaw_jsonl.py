"""Reads JSONL transcripts (JSONL era, and legacy files of the SQLite era) incrementally.

A file's cursor is its identity (device:inode), the byte offset after the last complete line, and
hashes of its head and of the bytes just before the offset (its tail). A re-run decides from the
file's metadata alone (identity, size, mtime: `is_unchanged`) and opens only files whose metadata
moved; those resume at the offset only when head and tail still match, so a file rewritten in place
with the same size is read again from the start. A line still being written (no newline yet) is
left for the next read, so it is read whole; a cut-off line that stays cut off (an archive, or a
file untouched for `SETTLE_S`) is reported as a problem instead. A file replaced or truncated (new
inode, smaller size, other head) is read again from the start; entries already stored are skipped
by id, so nothing counts twice. Files are read in chunks: memory stays bounded whatever their size.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import BinaryIO

import msgspec
import zstandard

from clawscope.model import ProblemCode, Severity, TranscriptBatch
from clawscope.sources.files import UnreadableError, open_regular, unreadable
from clawscope.sources.layout import IMMUTABLE_VARIANTS, TranscriptFile
from clawscope.sources.transcript import DecoderState, TranscriptDecoder
from clawscope.sources.wire import RecordError, WRecord, decode_record, to_ms

CHUNK_BYTES = 4 << 20
HEAD_BYTES = 4096
TAIL_BYTES = 4096
SETTLE_S = 300  # a file untouched this long is not being written: a cut-off last line is damage
MAX_LINE_BYTES = 64 << 20  # a longer line is skipped with a problem: memory stays bounded whatever the file


class FileCursor(msgspec.Struct, omit_defaults=True):
    """How far a transcript file has been read."""

    identity: str
    offset: int = 0
    line: int = 0
    size: int = 0
    mtime_ns: int = 0
    head: str = ""
    head_len: int = 0
    tail: str = ""  # sha1 of the (up to) TAIL_BYTES before `offset` ("": a cursor from before tails)
    state: DecoderState = msgspec.field(default_factory=DecoderState)
    partial_reported: bool = False


class CursorStamp(msgspec.Struct):
    """The part of a `FileCursor` the re-run decision reads: decoding only it (msgspec skips the rest,
    the decoder state included) keeps the per-file cost of a re-run over a long history small."""

    identity: str
    offset: int = 0
    size: int = 0
    mtime_ns: int = 0
    partial_reported: bool = False


def file_identity(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}"


def is_unchanged(cursor: FileCursor | CursorStamp | None, st: os.stat_result, settled: bool) -> bool:
    """True when reading the file again would find nothing new (the cheap re-run check)."""
    if cursor is None or cursor.identity != file_identity(st):
        return False
    if cursor.size != st.st_size or cursor.mtime_ns != st.st_mtime_ns:
        return False
    # A pending cut-off line must still be reported once the file has settled.
    return is_read_through(cursor) or not settled


def is_read_through(cursor: FileCursor | CursorStamp) -> bool:
    """Whether the cursor leaves nothing to read or report in the file as it saw it: read to its
    end, or its cut-off last line reported."""
    return cursor.offset >= cursor.size or cursor.partial_reported


class ReadResult(msgspec.Struct):
    """One chunk's decoded batch, and the cursor to save with it (atomically). No cursor: the file
    could not be read at all (the batch holds the `unreadable` problem; the next run tries again)."""

    batch: TranscriptBatch
    cursor: FileCursor | None
    header_version: int | None = None
    cwd: str | None = None
    header_ms: int | None = None


def read_transcript(
    tf: TranscriptFile,
    cursor: FileCursor | None,
    seen: set[str],
    now_s: float,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[ReadResult]:
    """Read what is new in one transcript file, one chunk at a time."""
    try:
        opened = open_regular(tf.path)
    except UnreadableError as exc:
        batch = TranscriptBatch(tf.session_id)
        batch.problems.append(unreadable("jsonl", tf.path, exc.reason))
        yield ReadResult(batch, None)
        return
    with opened as fh:
        st = os.fstat(fh.fileno())
        settled = tf.variant in IMMUTABLE_VARIANTS or now_s - st.st_mtime > SETTLE_S
        start, tail = _resume_point(fh, st, cursor, tf.compressed)
        state = msgspec.structs.replace(start.state) if start.offset else DecoderState()
        decoder = TranscriptDecoder(tf.session_id, "jsonl", tf.path, state, seen)
        if tf.compressed:
            stream: BinaryIO = zstandard.ZstdDecompressor().stream_reader(fh)
        else:
            fh.seek(start.offset)
            stream = fh
        yield from _read_lines(stream, decoder, start, tail, st, settled, chunk_bytes)


def _resume_point(
    fh: BinaryIO, st: os.stat_result, cursor: FileCursor | None, compressed: bool
) -> tuple[FileCursor, bytes]:
    """Where to start reading, and the bytes before it (for the next cursor's tail hash)."""
    fresh = FileCursor(identity=file_identity(st))
    if cursor is None or compressed or cursor.identity != fresh.identity or st.st_size < cursor.offset:
        return fresh, b""
    if cursor.head_len:
        fh.seek(0)
        if hashlib.sha1(fh.read(cursor.head_len)).hexdigest() != cursor.head:
            return fresh, b""
    tail = b""
    if cursor.offset:
        fh.seek(max(0, cursor.offset - TAIL_BYTES))
        tail = fh.read(min(TAIL_BYTES, cursor.offset))
        if cursor.tail and hashlib.sha1(tail).hexdigest() != cursor.tail:
            return fresh, b""  # rewritten in place (same head, other end): read it all again
    return cursor, tail


def _read_lines(
    stream: BinaryIO,
    decoder: TranscriptDecoder,
    start: FileCursor,
    tail: bytes,
    st: os.stat_result,
    settled: bool,
    chunk_bytes: int,
) -> Iterator[ReadResult]:
    offset, line = start.offset, start.line
    head = start.head
    head_len = start.head_len
    carry = b""
    skipping = False  # inside a line longer than MAX_LINE_BYTES: dropped up to its newline
    while True:
        # Never ask for more than the file holds: read(n) allocates n bytes up front, and most
        # transcripts are a few KB (a 4 MB request per small file cost more than parsing it).
        want = chunk_bytes if st.st_size <= 0 else max(1, min(chunk_bytes, st.st_size - offset + 1))
        buf = stream.read(want)
        if not buf:
            break
        data = carry + buf if carry else buf
        if skipping:
            nl = data.find(b"\n")
            offset += len(data) if nl < 0 else nl + 1
            carry, data, tail = b"", (b"" if nl < 0 else data[nl + 1 :]), b""
            if nl < 0:
                continue
            line, skipping = line + 1, False
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) > MAX_LINE_BYTES:
                reason = f"a line longer than {MAX_LINE_BYTES >> 20} MiB: skipped"
                decoder.problem(
                    f"line {line + 1} (byte {offset})", ProblemCode.UNREADABLE, reason, Severity.ERROR, data
                )
                offset, carry, skipping = offset + len(data), b"", True
            else:
                carry = data
            continue
        carry = data[end + 1 :]
        for raw in data[:end].split(b"\n"):
            line += 1
            if raw.strip():
                decoder.feed(raw.rstrip(b"\r"), line - 1, f"line {line}")
        if offset == 0 and not head_len:
            head_len = min(HEAD_BYTES, end + 1)
            head = hashlib.sha1(data[:head_len]).hexdigest()
        offset += end + 1
        tail = _tail(tail, data, end + 1)
        yield _result(decoder, start, offset, line, st, head, head_len, tail, False)
    partial_reported = False
    if carry.strip():
        if _is_complete(carry):  # a last record written without its newline
            line += 1
            decoder.feed(carry, line - 1, f"line {line}")
            offset += len(carry)
            tail = _tail(tail, carry, len(carry))
        elif settled:
            decoder.problem(
                f"line {line + 1} (byte {offset})",
                ProblemCode.TRUNCATED_LINE,
                "last line is cut off and the file is no longer written",
                Severity.ERROR,
                carry,
            )
            partial_reported = True
    yield _result(decoder, start, offset, line, st, head, head_len, tail, partial_reported)


def _tail(before: bytes, data: bytes, end: int) -> bytes:
    """The last TAIL_BYTES read once `data[:end]` follows `before`."""
    if end >= TAIL_BYTES:
        return data[end - TAIL_BYTES : end]
    return (before + data[:end])[-TAIL_BYTES:]


def _result(
    decoder: TranscriptDecoder,
    start: FileCursor,
    offset: int,
    line: int,
    st: os.stat_result,
    head: str,
    head_len: int,
    tail: bytes,
    partial_reported: bool,
) -> ReadResult:
    cursor = FileCursor(
        identity=start.identity,
        offset=offset,
        line=line,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        head=head,
        head_len=head_len,
        # (a tail shorter than what precedes the offset, after a skipped line, is not checked)
        tail=hashlib.sha1(tail).hexdigest() if tail and len(tail) == min(TAIL_BYTES, offset) else "",
        state=msgspec.structs.replace(decoder.state),
        partial_reported=partial_reported,
    )
    h = decoder.header
    return ReadResult(
        decoder.take(),
        cursor,
        header_version=h.version if h is not None else None,
        cwd=h.cwd if h is not None else None,
        header_ms=_header_ms(h),
    )


def _header_ms(h: WRecord | None) -> int | None:
    return to_ms(h.timestamp) if h is not None else None


def _is_complete(raw: bytes) -> bool:
    try:
        decode_record(raw)
    except RecordError:
        return False
    return True
