"""Group commit: sessions written together, each request with its own outcome (a replay fails alone)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import text

from clawscope import analytics
from clawscope.errors import ReplayedNonceError, WriteConflictError
from clawscope.ingest.group import GroupCommit
from clawscope.ingest.remote import Prepared, prepare, read_payload
from clawscope.model import Filters
from clawscope.store import Store
from tests.support.remote import session_body

DUPLICATES = (
    "SELECT count(*) FROM (SELECT sid, entry_id FROM entries GROUP BY sid, entry_id HAVING count(*) > 1) d"
)


def _item(store: Store, sid: str, nonce: str | None) -> Prepared:
    item = prepare(store, read_payload(session_body("i", session_id=sid)), "box", trace_only=False)
    item.nonce = (nonce, 1) if nonce else None
    return item


def test_a_group_with_a_replay_and_a_duplicate_session_gives_each_its_own_answer(store: Store) -> None:
    group = GroupCommit(store, estimate=False, max_group=64)
    same = str(uuid.uuid4())
    items = [_item(store, str(uuid.uuid4()), f"n-{i}") for i in range(10)]
    items += [_item(store, same, "dup-a"), _item(store, same, "dup-b")]  # one session, twice
    items += [_item(store, str(uuid.uuid4()), "n-3")]  # a replayed nonce
    outcomes: dict[int, str] = {}
    start = threading.Barrier(len(items))

    def send(i: int) -> None:
        start.wait()
        try:
            group.write(items[i])
            outcomes[i] = "ok"
        except ReplayedNonceError:
            outcomes[i] = "replay"
        except WriteConflictError:
            outcomes[i] = "other"

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    group.close()
    assert sorted(outcomes.values()).count("replay") == 1
    assert sorted(outcomes.values()).count("ok") == len(items) - 1
    totals = analytics.stats(store, Filters())["totals"]
    stored = sum(1 for i, o in outcomes.items() if o == "ok") - 1  # the duplicate session counts once
    assert totals["sessions"] == stored
    assert totals["llmCalls"] == stored * 3 and totals["toolCalls"] == stored * 3
    with store.engine.connect() as conn:
        dup = conn.execute(text(DUPLICATES)).scalar_one()
    assert dup == 0


def test_an_error_reaches_its_own_request(store: Store) -> None:
    group = GroupCommit(store, estimate=False)
    good = _item(store, str(uuid.uuid4()), "only-once")
    group.write(good)
    again = _item(store, str(uuid.uuid4()), "only-once")
    with pytest.raises(ReplayedNonceError):
        group.write(again)
    group.close()
    assert analytics.stats(store, Filters())["totals"]["sessions"] == 1


def test_sessions_stored_one_by_one_after_a_failed_group_are_announced(store: Store) -> None:
    from concurrent.futures import Future

    group = GroupCommit(store, estimate=False)
    group.write(_item(store, str(uuid.uuid4()), "spent"))
    calls: list[int] = []
    group.after.append(lambda: calls.append(1))
    good, replay = _item(store, str(uuid.uuid4()), "fresh"), _item(store, str(uuid.uuid4()), "spent")
    futures: list[Future[None]] = [Future(), Future()]
    group._commit([(good, futures[0]), (replay, futures[1])])  # the group fails on the replay
    assert futures[0].result() is None
    assert isinstance(futures[1].exception(), ReplayedNonceError)
    assert calls == [1]  # live detection and alerts hear of the stored session
    group.close()
