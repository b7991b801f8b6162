"""Log-spaced duration buckets, so tool-call percentiles come from a roll-up instead of every call.

A period's p50/p95 tool duration over a million calls cannot be read from sorted raw durations in
100 ms; a histogram per tool and day can be summed instead (store/rollup_tools.py). The buckets are
integer millisecond ranges `[lo, hi]` with `hi <= lo * GAMMA`: every duration in a bucket is within
`RELATIVE_ERROR` (2 %) of the bucket's representative value `2·lo·hi / (lo + hi)`, and a percentile
interpolated between two such representatives (the rule of `analytics.metrics.percentile`) is within
the same relative error of the exact one. Durations up to 1 ms… 25 ms are exact (one value per bucket);
0 is its own bucket. The bounds are computed in Python with integers only, so both backends bucket
a duration alike.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

RELATIVE_ERROR = 0.02  # stated in the API (`/stats/tools`) and README
_NUM, _DEN = 51, 49  # GAMMA = (1 + 0.02) / (1 - 0.02), as an exact fraction
_TOP = 1 << 62  # (about 146 million years in ms: beyond any duration)


def _bounds() -> tuple[int, ...]:
    """The lowest duration of each bucket: 0, 1, then each bucket's `hi + 1`."""
    out = [0, 1]
    while out[-1] < _TOP:
        lo = out[-1]
        out.append(lo * _NUM // _DEN + 1)
    return tuple(out)


LOWER = _bounds()


def bucket_of(duration_ms: int) -> int:
    """The bucket index of a duration (>= 0)."""
    if duration_ms < 0:
        raise ValueError(f"a duration cannot be negative: {duration_ms}")
    return bisect_right(LOWER, duration_ms) - 1


def representative(bucket: int) -> float:
    """The value a bucket stands for: within RELATIVE_ERROR of every duration in it."""
    lo = LOWER[bucket]
    hi = LOWER[bucket + 1] - 1 if bucket + 1 < len(LOWER) else lo
    return 0.0 if hi == 0 else 2 * lo * hi / (lo + hi)


def percentile(counts: Sequence[tuple[int, int]], pct: float) -> float | None:
    """The linear-interpolation percentile (as `analytics.metrics.percentile`) of the durations a
    histogram holds, `counts` being (bucket, n) sorted by bucket; within RELATIVE_ERROR of the exact."""
    total = sum(n for _, n in counts)
    if total == 0:
        return None
    k = (total - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, total - 1)
    a, b = _at_rank(counts, lo), _at_rank(counts, hi)
    return a + (b - a) * (k - lo)


def _at_rank(counts: Iterable[tuple[int, int]], rank: int) -> float:
    seen = 0
    for bucket, n in counts:
        seen += n
        if rank < seen:
            return representative(bucket)
    raise ValueError(f"rank {rank} is beyond the histogram")
