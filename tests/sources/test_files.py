"""Only regular files are read, with bounded memory (sources/files.py; issue 13, item 7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clawscope.model import ProblemCode
from clawscope.sources import openclaw_jsonl
from clawscope.sources.files import UnreadableError, open_regular, read_bounded, why_unreadable
from clawscope.sources.layout import TranscriptFile, Variant
from tests.support.builders import header, user


def test_why_unreadable_names_each_kind_of_path(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("{}")
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/zero", tmp_path / "zero")
    os.symlink("missing", tmp_path / "dangling")
    os.symlink("loop", tmp_path / "loop")
    assert why_unreadable(str(tmp_path / "file")) is None
    assert why_unreadable(str(tmp_path / "gone")) is None  # removed since listed: nothing to say
    assert "a FIFO" in str(why_unreadable(str(tmp_path / "fifo")))
    assert "a character device" in str(why_unreadable(str(tmp_path / "zero")))
    assert "a directory" in str(why_unreadable(str(tmp_path)))
    assert "dangling symlink" in str(why_unreadable(str(tmp_path / "dangling")))
    assert "symlink loop" in str(why_unreadable(str(tmp_path / "loop")))


def test_open_regular_refuses_what_is_not_a_regular_file_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnreadableError, match="a FIFO"):
        open_regular(str(tmp_path / "fifo"))
    with pytest.raises(UnreadableError, match="a character device"):
        read_bounded("/dev/zero")
    (tmp_path / "big").write_bytes(b"x" * 2048)
    with pytest.raises(UnreadableError, match="larger than"):
        read_bounded(str(tmp_path / "big"), max_bytes=1024)
    assert read_bounded(str(tmp_path / "big"), max_bytes=4096) == b"x" * 2048


def test_a_line_longer_than_the_bound_is_skipped_with_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openclaw_jsonl, "MAX_LINE_BYTES", 256 << 10)
    path = tmp_path / "s1.jsonl"
    first, last = user("before"), user("after")
    with path.open("wb") as fh:
        fh.write((json.dumps(header("s1")) + "\n" + json.dumps(first) + "\n").encode())
        fh.write(b'{"type":"message","x":"' + b"y" * (1 << 20) + b'"}\n')
        fh.write((json.dumps(last) + "\n").encode())
    tf = TranscriptFile(str(path), "s1", Variant.ACTIVE)
    reads = list(openclaw_jsonl.read_transcript(tf, None, set(), 0.0, chunk_bytes=64 << 10))
    ids = [e.entry_id for r in reads for e in r.batch.entries]
    assert ids == ["s1", first["id"], last["id"]]  # the header is an entry too
    (p,) = [p for r in reads for p in r.batch.problems]
    assert p.code == ProblemCode.UNREADABLE and p.location.startswith("line 3 ")
    assert reads[-1].cursor is not None and reads[-1].cursor.offset == path.stat().st_size
