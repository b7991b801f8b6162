"""The tests' own oracle of money totals (independent of `clawscope.money`): each cost as the decimal it
was written as, rounded half-even to the nano-dollar, summed as decimals, then the nearest float."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

NANO = Decimal("1e-9")


def nano_of(cost: float) -> Decimal:
    return Decimal(repr(cost)).quantize(NANO, rounding=ROUND_HALF_EVEN)


def exact_usd(costs: Iterable[float]) -> float:
    return float(sum((nano_of(c) for c in costs), Decimal(0)))
