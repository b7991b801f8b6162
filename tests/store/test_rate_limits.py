"""`Store.rate_limits`: one count per key and window, shared by every connection (both backends)."""

from __future__ import annotations

import concurrent.futures as cf

from clawscope.errors import StoreError
from clawscope.store import Store
from clawscope.web.ratelimit import RateLimiter

W0 = 1_767_000_000_000


def test_counts_per_key_and_window(store: Store) -> None:
    assert [store.rate_limits.hit("a", W0) for _ in range(3)] == [1, 2, 3]
    assert store.rate_limits.hit("b", W0) == 1
    assert store.rate_limits.hit("a", W0 + 60_000) == 1
    assert store.rate_limits.prune(W0 + 60_000) == 2  # both keys' first window
    assert store.rate_limits.hit("a", W0 + 60_000) == 2


def test_concurrent_hits_are_each_counted_once(store: Store) -> None:
    with cf.ThreadPoolExecutor(4) as pool:
        counts = sorted(pool.map(lambda _: store.rate_limits.hit("k", W0), range(20)))
    assert counts == list(range(1, 21))


def test_the_limiter_uses_the_shared_count_and_falls_back_to_its_own(store: Store) -> None:
    limiter = RateLimiter(shared=store.rate_limits.hit)
    now = W0 / 1000 + 5
    assert [limiter.hit("k", 2, now).allowed for _ in range(3)] == [True, True, False]
    assert store.rate_limits.hit("k", W0) == 4  # the three above were counted in the database

    def broken(_key: str, _window: int) -> int:
        raise StoreError("database unavailable")

    degraded = RateLimiter(shared=broken)
    assert [degraded.hit("k", 2, now).allowed for _ in range(3)] == [True, True, False]
