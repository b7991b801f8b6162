"""The re-run's shortcut (issue 17): each sessions folder's manifest of the stamps of settled files with
nothing left to read, and parent links made again only when owed.

A file in the manifest is passed on one `stat`: its cursor is neither fetched nor decided on. What
changes a file's stamp (an append, a rewrite of the same size, a copy renamed over it) sends it back
to its cursor, and it rejoins the manifest once read to its end. A file still being written, or
whose cut-off last line is still owed a report, stays out until it has settled. File times and the
run's clock are fixed here (`T0`), never today's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import text

from clawscope.ingest import ingest, jsonl
from clawscope.ingest import manifest as mf
from clawscope.sources.openclaw_jsonl import file_identity
from clawscope.store import Store
from clawscope.store.migrate import head_revision, migrate
from clawscope.store.writer import LINKS_OWED, Writer
from tests.ingest.test_incremental import assert_equals_oracle, build_history
from tests.support.builders import assistant, user
from tests.support.builders import jsonl as jsonl_text

T0 = 1_790_000_000.0  # every file's mtime
SETTLED = T0 + 3_600  # a run's clock an hour after: every file has settled
FRESH = T0 + 10  # ten seconds after: an active file may still be written
SID0 = "00000000-0000-0000-0000-000000000000"


def _age(folder: Path, mtime: float = T0) -> None:
    for p in folder.iterdir():
        os.utime(p, (mtime, mtime))


def _stamps(folder: Path, names: list[str] | None = None) -> set[int]:
    return {mf.stamp_of(n, os.stat(folder / n)) for n in names or os.listdir(folder)}


def _manifest(store: Store, folder: Path) -> set[int]:
    return mf.decode(store.cursor(mf.KEY + str(folder)))


class CursorSpy:
    """Which cursors a run fetches: by folder prefix (`Store.cursors`) or by key (`Store.cursors_of`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.prefixes: list[str] = []
        self.keys: list[str] = []
        self.manifest_writes = 0
        by_prefix, by_key, set_cursor = Store.cursors, Store.cursors_of, Writer.set_cursor

        def cursors(store: Store, prefix: str) -> dict[str, bytes]:
            if prefix.startswith("jsonl:"):
                self.prefixes.append(prefix)
            return by_prefix(store, prefix)

        def cursors_of(store: Store, keys: Any) -> dict[str, bytes]:
            self.keys.extend(keys)
            return by_key(store, keys)

        monkeypatch.setattr(Store, "cursors", cursors)
        monkeypatch.setattr(Store, "cursors_of", cursors_of)

        def set_cursor_spy(writer: Writer, key: str, value: Any) -> None:
            if key.startswith(mf.KEY):
                self.manifest_writes += 1
            set_cursor(writer, key, value)

        monkeypatch.setattr(Writer, "set_cursor", set_cursor_spy)


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "state"
    folder = build_history(root, sessions=5, turns=3)
    (folder / f"{SID0}.jsonl.reset.2026-08-13T07-17-30.667Z").write_bytes(
        (folder / f"{SID0}.jsonl").read_bytes()
    )
    _age(folder)
    return root, folder


def test_a_rerun_passes_the_files_a_run_read_to_their_end_on_the_manifest_alone(
    history: tuple[Path, Path], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, folder = history
    with Store(db_url) as store:
        first = ingest(store, [root], instance="t", now=SETTLED)
        assert first.files == 6
        # every file read to its end goes in as its cursor saw it; sessions.json (never read as a
        # transcript) on its stamp
        assert _manifest(store, folder) == _stamps(folder)
        spy = CursorSpy(monkeypatch)
        report = ingest(store, [root], instance="t", now=SETTLED)
        assert (report.files, report.entries) == (0, 0)
        assert spy.prefixes == [] and spy.keys == []  # not one file's cursor fetched
        assert spy.manifest_writes == 0  # unchanged: not rewritten
        assert_equals_oracle(store, root)


def _append_turn(path: Path) -> None:
    with path.open("a") as fh:
        fh.write(jsonl_text([user("one more"), assistant(cost=0.5)]))


def _rewrite_same_size(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    last = json.loads(lines[-1])
    last["id"] = "f" * len(last["id"])
    path.write_bytes(b"".join(lines[:-1]) + json.dumps(last).encode() + b"\n")  # (same inode)


def _renamed_copy(path: Path) -> None:
    st = os.stat(path)
    copy = path.with_name(path.name + ".tmp")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # same name, size and bytes; another inode
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize(
    ("change", "entries"), [(_append_turn, 2), (_rewrite_same_size, 1), (_renamed_copy, 0)]
)
def test_a_file_changed_after_it_joined_the_manifest_is_decided_by_its_cursor_and_read_back_in(
    history: tuple[Path, Path], db_url: str, monkeypatch: pytest.MonkeyPatch, change: Any, entries: int
) -> None:
    root, folder = history
    path = folder / "00000002-0000-0000-0000-000000000000.jsonl"
    with Store(db_url) as store:
        ingest(store, [root], instance="t", now=SETTLED)
        assert _manifest(store, folder) == _stamps(folder)
        change(path)
        if change is not _renamed_copy:  # (a copy renamed over it keeps its mtime: only the inode tells)
            os.utime(path, (T0 + 60, T0 + 60))
        spy = CursorSpy(monkeypatch)
        report = ingest(store, [root], instance="t", now=SETTLED)
        assert (report.files, report.entries) == (1, entries)
        assert spy.keys == ["jsonl:" + str(path)] and spy.prefixes == []  # that file's cursor only
        assert _manifest(store, folder) == _stamps(folder)  # read again to its end: back in
        spy.keys.clear()
        again = ingest(store, [root], instance="t", now=SETTLED)
        assert (again.files, again.entries) == (0, 0) and spy.keys == []
        if change is not _rewrite_same_size:  # (the store keeps the entry the rewrite replaced)
            assert_equals_oracle(store, root)


def test_a_file_appended_while_it_is_read_is_stamped_as_read_not_as_it_is_now(
    history: tuple[Path, Path], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, folder = history
    path = folder / "00000003-0000-0000-0000-000000000000.jsonl"
    read = jsonl.read_transcript

    def appending(tf: Any, *args: Any) -> Any:
        for i, result in enumerate(read(tf, *args)):
            if tf.path == str(path) and i == 0:  # after the reader's fstat, before the run ends
                _append_turn(path)
                os.utime(path, (T0 + 60, T0 + 60))
            yield result

    monkeypatch.setattr(jsonl, "read_transcript", appending)
    with Store(db_url) as store:
        ingest(store, [root], instance="t", now=SETTLED, workers=0)
        monkeypatch.undo()
        assert mf.stamp_of(path.name, os.stat(path)) not in _manifest(store, folder)
        ingest(store, [root], instance="t", now=SETTLED)  # the appended turn is not lost
        assert_equals_oracle(store, root)
        assert _manifest(store, folder) == _stamps(folder)


def test_a_file_still_written_or_owing_its_cut_off_line_joins_only_once_settled(
    tmp_path: Path, db_url: str
) -> None:
    root = tmp_path / "state"
    folder = build_history(root, sessions=2, turns=2)
    cut = folder / "00000001-0000-0000-0000-000000000000.jsonl"
    with cut.open("a") as fh:
        fh.write('{"type":"message","id":"cut","message":{"role":"us')  # a line cut off mid-write
    archive = folder / "00000000-0000-0000-0000-000000000000.jsonl.reset.2026-08-13T07-17-30.667Z"
    archive.write_bytes((folder / f"{SID0}.jsonl").read_bytes())
    _age(folder)
    with Store(db_url) as store:
        ingest(store, [root], instance="t", now=FRESH)
        problems = store.row_counts()["problems"]
        ingest(store, [root], instance="t", now=FRESH)
        # ten seconds after their last change only the archive (never written again) is in
        assert _manifest(store, folder) == _stamps(folder, [archive.name])
        assert store.row_counts()["problems"] == problems  # the cut-off line is not damage yet
        ingest(store, [root], instance="t", now=SETTLED)
        assert store.row_counts()["problems"] == problems + 1  # now it is, reported once
        assert _manifest(store, folder) == _stamps(folder)  # nothing is owed any more
        ingest(store, [root], instance="t", now=SETTLED)
        assert store.row_counts()["problems"] == problems + 1


def test_a_damaged_manifest_is_ignored_and_rebuilt(history: tuple[Path, Path], db_url: str) -> None:
    root, folder = history
    with Store(db_url) as store:
        ingest(store, [root], instance="t", now=SETTLED)
        with store.engine.begin() as conn:
            conn.execute(
                text("UPDATE cursors SET value = :v WHERE key = :k"),
                {"v": '"not base64 of whole words!"', "k": mf.KEY + str(folder)},
            )
        assert _manifest(store, folder) == set()
        report = ingest(store, [root], instance="t", now=SETTLED)
        assert (report.files, report.entries) == (0, 0)
        assert _manifest(store, folder) == _stamps(folder)


def test_a_stamp_from_a_stat_is_the_stamp_from_the_cursor_of_that_stat(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("{}\n")
    st = os.stat(path)
    assert mf.stamp_of(path.name, st) == mf.stamp(path.name, st.st_size, st.st_mtime_ns, file_identity(st))
    assert mf.stamp_of("b.jsonl", st) != mf.stamp_of(path.name, st)
    for bad in ("", "12", "a:b", "-1:5", f"1:{2**64}"):  # a damaged cursor's identity: no stamp
        with pytest.raises(ValueError, match=r"invalid literal|not a file's stamp"):
            mf.stamp(path.name, st.st_size, st.st_mtime_ns, bad)


def test_manifest_words_round_trip_and_reject_what_is_not_one() -> None:
    stamps = {0, 1, 2**64 - 1, 1234567890123456789}
    raw = msgspec.json.encode(mf.encode(stamps))
    assert mf.decode(raw) == stamps
    for bad in (b"[1,2]", b'"AAAA"', b"{", None):  # not bytes; 3 bytes, not whole words; not JSON
        assert mf.decode(bad) == set()


def test_many_changed_files_fetch_the_folder_cursors_in_one_range(
    history: tuple[Path, Path], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, folder = history
    with Store(db_url) as store:
        ingest(store, [root], instance="t", now=SETTLED)
        monkeypatch.setattr(jsonl, "CURSOR_KEYS_MAX", 1)
        touched = sorted(folder.glob("0000000[34]-*.jsonl"))
        for p in touched:
            os.utime(p, (T0 + 60, T0 + 60))  # the same bytes at a new mtime
        spy = CursorSpy(monkeypatch)
        report = ingest(store, [root], instance="t", now=SETTLED)
        assert (report.files, report.entries) == (2, 0)  # resumed at their offsets: nothing new
        assert spy.keys == [] and spy.prefixes == ["jsonl:" + str(folder) + os.sep]
        assert_equals_oracle(store, root)


def _parent_sids(store: Store) -> list[tuple[str, str | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.session_id, p.session_id FROM sessions s LEFT JOIN sessions p "
                "ON p.sid = s.parent_sid WHERE s.parent_key IS NOT NULL ORDER BY s.session_id"
            )
        )
        return [(r[0], r[1]) for r in rows]


def _unlink(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET parent_sid = NULL"))


def _owed(store: Store) -> bool:
    return store.cursor(LINKS_OWED) is not None


def test_parents_are_linked_again_only_when_a_write_or_an_upgrade_owes_it(
    fixture_copy: Any, db_url: str
) -> None:
    state = fixture_copy("openclaw-2026.3.24-jsonl")
    with Store(db_url) as store:
        ingest(store, [state], instance="t")
        linked = _parent_sids(store)
        assert any(parent is not None for _, parent in linked)  # (one's parent is not in the sample)
        assert not _owed(store)  # the linking that followed the writes paid it
        _unlink(store)
        ingest(store, [state], instance="t")  # nothing written: no linking (its scan is skipped)
        assert all(parent is None for _, parent in _parent_sids(store))
        with store.engine.begin() as conn:  # what revision 0029 leaves in a store it upgrades
            conn.execute(
                text("INSERT INTO cursors (key, value, updated_ms) VALUES (:k, '1', 0)"), {"k": LINKS_OWED}
            )
        ingest(store, [state], instance="t")
        assert _parent_sids(store) == linked and not _owed(store)
        _unlink(store)
        sessions = state / "agents" / "main" / "sessions"
        _append_turn(next(p for p in sorted(sessions.glob("*.jsonl")) if "." not in p.name[:-6]))
        assert ingest(store, [state], instance="t").entries == 2  # a write owes a linking
        assert _parent_sids(store) == linked and not _owed(store)


def test_revision_0029_owes_one_linking(tmp_path: Path) -> None:
    """A store from before revision 0029 may have stopped between its writes and their linking."""
    with Store(f"sqlite:///{tmp_path / 'old.db'}") as store:
        assert not _owed(store)
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0028'"))
        assert migrate(store.engine) == head_revision() == "0029"
        assert _owed(store)
