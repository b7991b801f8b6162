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


def test_leases_count_many_requests_in_one_write_and_the_limit_still_holds(store: Store) -> None:
    writes: list[int] = []

    def take(key: str, window: int, n: int) -> int:
        writes.append(n)
        return store.rate_limits.take(key, window, n)

    now = W0 / 1000 + 5
    far = RateLimiter(shared=store.rate_limits.hit, take=take)
    numbers = [far.hit("far", 100_000, now).remaining for _ in range(500)]
    assert numbers == [100_000 - k for k in range(1, 501)]  # each request its own number, in order
    assert len(writes) < 20 and store.rate_limits.hit("far", W0) == sum(writes) + 1 >= 501

    # near a limit, one request at a time: exact, as without leases
    near = RateLimiter(shared=store.rate_limits.hit, take=take)
    assert [near.hit("near", 3, now).allowed for _ in range(4)] == [True, True, True, False]
    assert store.rate_limits.hit("near", W0) == 5

    # two processes on one key: exactly the limit is allowed between them
    a = RateLimiter(shared=store.rate_limits.hit, take=store.rate_limits.take)
    b = RateLimiter(shared=store.rate_limits.hit, take=store.rate_limits.take)
    allowed = sum((a, b)[i % 2].hit("both", 2_000, now).allowed for i in range(5_000))
    assert allowed == 2_000
