"""The ZIP container of `.peacbundle` files: a deterministic writer and a defensive reader.

The writer lays entries out exactly as `yazl` (the library PEAC uses) does for stored buffers:
local headers without extra fields, UTF-8 flag, DOS time of `created_at`, a central directory with
"made by Unix 6.3", mode 0664 and an extended-timestamp field. PEAC writes the DOS time in the
producer's local time zone; clawscope always uses UTC, so its bundles are byte-identical on every
machine (and identical to PEAC's when PEAC ran with TZ=UTC, as for the vectors).

The reader refuses what could hurt an auditor's machine or hide content: more than 10 000 entries,
entries over 64 MiB or 512 MiB in total (checked on the real decompressed bytes), unsafe or
duplicate names, unknown compression methods, and paths outside the bundle allow-list.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from datetime import UTC, datetime

from clawscope.audit.errors import AuditError, Code

MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
_LOCAL, _CENTRAL, _END = 0x04034B50, 0x02014B50, 0x06054B50
_UTF8 = 0x0800  # general purpose flag: names are UTF-8
_MADE_BY = 0x033F  # Unix, spec 6.3 (what yazl writes)
_MODE = 0o100664 << 16  # regular file, rw-rw-r--
ALLOWED = ("manifest.json", "bundle.sig", "receipts.ndjson", "keys/", "policy/")


def _dos(moment: datetime) -> tuple[int, int]:
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def write_zip(files: list[tuple[str, bytes]], mtime_s: int) -> bytes:
    """A stored (uncompressed) ZIP of `files`, in order, every entry dated `mtime_s` (UTC)."""
    dos_time, dos_date = _dos(datetime.fromtimestamp(mtime_s, UTC))
    out = io.BytesIO()
    central: list[bytes] = []
    extra = struct.pack("<HHBI", 0x5455, 5, 3, mtime_s)  # extended timestamp: mtime (+atime flag, as yazl)
    for name, data in files:
        raw_name = name.encode("utf-8")
        crc, size, offset = zlib.crc32(data), len(data), out.tell()
        common = (20, _UTF8, 0, dos_time, dos_date, crc, size, size)
        out.write(struct.pack("<IHHHHHIII", _LOCAL, *common) + struct.pack("<HH", len(raw_name), 0))
        out.write(raw_name + data)
        head = struct.pack("<IHHHHHHIII", _CENTRAL, _MADE_BY, *common)
        tail = struct.pack("<HHHHHII", len(raw_name), len(extra), 0, 0, 0, _MODE, offset)
        central.append(head + tail + raw_name + extra)
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", _END, 0, 0, len(files), len(files), size, start, 0))
    return out.getvalue()


def safe_name(name: str) -> bool:
    """No traversal, no absolute or Windows paths, no NUL, and inside the bundle allow-list."""
    if "\\" in name or "\0" in name or name.startswith("/") or posixpath.normpath(name) != name:
        return False
    if name == "." or name.startswith("../") or name == "..":
        return False
    return any(name == prefix or (prefix.endswith("/") and name.startswith(prefix)) for prefix in ALLOWED)


def read_zip(data: bytes) -> dict[str, bytes]:
    """The files of a bundle ZIP, after every hygiene check; raises AuditError(E_BUNDLE_*)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise AuditError(Code.BUNDLE_INVALID_FORMAT, f"not a ZIP archive: {exc}") from None
    infos = [i for i in archive.infolist() if not i.filename.endswith("/")]
    if len(infos) > MAX_ENTRIES:
        raise AuditError(Code.BUNDLE_SIZE_EXCEEDED, f"more than {MAX_ENTRIES} entries")
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if not safe_name(info.filename):
            raise AuditError(
                Code.BUNDLE_PATH_TRAVERSAL, f"unsafe or unexpected path in bundle: {info.filename!r}"
            )
        if info.filename in files:
            raise AuditError(Code.BUNDLE_INVALID_FORMAT, f"duplicate entry {info.filename!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise AuditError(Code.BUNDLE_INVALID_FORMAT, f"{info.filename}: unsupported compression")
        if info.file_size > MAX_ENTRY_BYTES:
            raise AuditError(Code.BUNDLE_SIZE_EXCEEDED, f"{info.filename} is larger than 64 MiB")
        try:
            with archive.open(info) as fh:
                content = fh.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise AuditError(Code.BUNDLE_INVALID_FORMAT, f"{info.filename}: {exc}") from None
        if len(content) != info.file_size:
            raise AuditError(
                Code.BUNDLE_SIZE_EXCEEDED, f"{info.filename}: size differs from the ZIP directory"
            )
        total += len(content)
        if total > MAX_TOTAL_BYTES:
            raise AuditError(Code.BUNDLE_SIZE_EXCEEDED, "bundle content exceeds 512 MiB")
        files[info.filename] = content
    return files
