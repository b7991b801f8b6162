"""`Store.cursors(prefix)` returns exactly the saved cursors whose key starts with the prefix (LIKE's
wildcards and the escape character taken literally), and on SQLite reads them as a range of the key's
index instead of scanning every agent's cursors."""

from __future__ import annotations

from sqlalchemy import event

from clawscope.store import Store

KEYS = [
    "jsonl:/s/a/sessions/1.jsonl",
    "jsonl:/s/a/sessions/2.jsonl",
    "jsonl:/s/a/sessions0",  # the character after the separator: outside
    "jsonl:/s/a/sessions",  # the prefix without its separator: outside
    "jsonl:/s/a/sessions/%_x.jsonl",
    "jsonl:/s/a/sessionsX/1.jsonl",
    "jsonl:/s/a_b/sessions/1.jsonl",
    "jsonl:/s/a%b/sessions/1.jsonl",
    "jsonl:/s/b/sessions/1.jsonl",
    "jsonl:/s/é/sessions/1.jsonl",
]


def test_cursors_of_a_prefix_are_exactly_those_it_starts(store: Store) -> None:
    w = store.writer()
    for n, key in enumerate(KEYS):
        w.set_cursor(key, {"n": n})
    w.flush()
    for prefix in (
        "jsonl:/s/a/sessions/",
        "jsonl:/s/a_b/",
        "jsonl:/s/a%b/",
        "jsonl:/s/é/",
        "jsonl:/s/",
        "zzz",
    ):
        got = store.cursors(prefix)
        assert sorted(got) == sorted(k for k in KEYS if k.startswith(prefix)), prefix
        assert all(got[k] == f'{{"n":{KEYS.index(k)}}}'.encode() for k in got)

    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement: str, parameters, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM cursors" in statement:
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.cursors("jsonl:/s/a/sessions/")
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            plan = [
                str(r[-1])
                for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statements[0][0], statements[0][1])
            ]
        assert plan and all("SCAN" not in p for p in plan), plan
