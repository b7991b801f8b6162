"""The one retry helper: which answers are retried, how long it waits, when it stops (no real sleeping)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from clawscope.retry import Retrying, RetryPolicy, retry_after_s


def _responses(*answers: tuple[int, dict[str, str]] | Exception) -> Callable[[], httpx.Response]:
    queue = list(answers)

    def send() -> httpx.Response:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer
        return httpx.Response(status, headers=headers)

    return send


def test_retry_after_forms() -> None:
    assert retry_after_s("3") == 3.0
    assert retry_after_s(" 1.5 ") == 1.5
    assert retry_after_s("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert retry_after_s("soon") is None and retry_after_s(None) is None and retry_after_s("") is None


def test_retry_after_then_doubling_backoff_without_jitter() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=4, backoff_s=0.5, max_delay_s=30, retry_after_cap_s=120, sleep=slept.append)
    r = Retrying(policy)
    resp = r.send(_responses((429, {"Retry-After": "3"}), (503, {}), (502, {}), (200, {})))
    assert resp.status_code == 200 and r.attempts == 4
    assert slept == [3.0, 1.0, 2.0]


def test_a_capped_retry_after_and_a_refused_one() -> None:
    slept: list[float] = []
    capped = RetryPolicy(attempts=2, retry_after_cap_s=120, sleep=slept.append)
    assert Retrying(capped).send(_responses((503, {"Retry-After": "3600"}), (200, {}))).status_code == 200
    assert slept == [120]
    refused = RetryPolicy(attempts=3, max_delay_s=60, sleep=slept.append)
    r = Retrying(refused)
    assert r.send(_responses((503, {"Retry-After": "3600"}))).status_code == 503  # not waited for
    assert r.attempts == 1 and slept == [120]


def test_full_jitter_and_the_cap() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=5, backoff_s=1.0, max_delay_s=3.0, jitter=lambda: 0.5, sleep=slept.append)
    r = Retrying(policy)
    assert r.send(_responses(*[(500, {})] * 5)).status_code == 500  # the last answer is returned
    assert r.attempts == 5 and slept == [0.5, 1.0, 1.5, 1.5]


def test_statuses_and_transport_errors_not_retried() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, sleep=slept.append)
    assert Retrying(policy).send(_responses((404, {}))).status_code == 404
    with pytest.raises(httpx.ReadTimeout):  # the request may have arrived: not sent again
        Retrying(policy).send(_responses(httpx.ReadTimeout("slow")))
    r = Retrying(policy)
    with pytest.raises(httpx.ConnectError):
        r.send(_responses(*[httpx.ConnectError("refused")] * 3))
    assert r.attempts == 3 and slept == [0.5, 1.0]
