"""SQLite's page cache per connection: 32 MiB for the server's readers (the dashboard scans the sessions
table), 16 MiB for a one-shot `clawscope ingest` (its peak memory is a target; the cache costs it no time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from clawscope.cli import cli
from clawscope.store import INGEST_PAGE_CACHE_MIB, PAGE_CACHE_MIB, Store


def _cache_kib(store: Store) -> int:
    with store.engine.connect() as conn:
        return -int(conn.execute(text("PRAGMA cache_size")).scalar_one())


def test_each_connection_gets_the_store_s_page_cache(tmp_path: Path) -> None:
    assert (PAGE_CACHE_MIB, INGEST_PAGE_CACHE_MIB) == (32, 16)
    with Store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        assert _cache_kib(store) == 32 * 1024
    with Store(f"sqlite:///{tmp_path / 'b.db'}", page_cache_mib=16) as store:
        assert _cache_kib(store) == 16 * 1024
        with store.engine.connect() as a, store.engine.connect() as b:  # every connection, not the first
            for conn in (a, b):
                assert conn.execute(text("PRAGMA cache_size")).scalar_one() == -16 * 1024


def test_the_ingest_command_opens_its_store_with_the_smaller_cache(
    runner: CliRunner, fixture_copy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[int] = []
    real = Store.__init__

    def spy(self: Store, url: str, **kw: object) -> None:
        opened.append(int(kw.get("page_cache_mib", PAGE_CACHE_MIB)))  # type: ignore[call-overload]
        real(self, url, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "__init__", spy)
    state = fixture_copy("openclaw-2026.3.24-jsonl")
    result = runner.invoke(
        cli, ["ingest", str(state), "--db", str(tmp_path / "c.db"), "--json", "--no-detect"]
    )
    assert result.exit_code == 0, result.output
    assert opened and opened[0] == INGEST_PAGE_CACHE_MIB
