"""clawscope's PostgreSQL connections cost a random page read as on SSD or memory (1.1), not as on the
spinning disk PostgreSQL's default (4) assumes, so that scans of a period read the narrow covering
indexes; a value the administrator set is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from clawscope.store import Store

pytestmark = pytest.mark.postgres


def _cost(store: Store) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("SHOW random_page_cost")).scalar_one())


def test_the_default_random_page_cost_is_lowered_for_clawscope_only(pg_url: str) -> None:
    import psycopg

    raw = pg_url.partition("?")[0].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw) as conn:
        server = str(conn.execute("SHOW random_page_cost").fetchone()[0])  # type: ignore[index]
    want = "1.1" if server == "4" else server  # (a server configured otherwise keeps its value)
    with Store(pg_url) as store:
        assert _cost(store) == want
        with store.engine.connect() as a, store.engine.connect() as b:  # every pooled connection
            assert {str(c.execute(text("SHOW random_page_cost")).scalar_one()) for c in (a, b)} == {want}


def test_a_random_page_cost_the_administrator_chose_is_kept(pg_url: str) -> None:
    chosen = pg_url + "%20-crandom_page_cost%3D2"  # as a role's or database's own setting would give it
    with Store(chosen) as store:
        assert _cost(store) == "2"
