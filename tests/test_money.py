"""`clawscope.money`: dollars to whole nano-dollars (half-even, from the decimal a float prints as) and
back (exactly n / 10⁹), checked against an independent `Decimal` oracle."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from clawscope.money import MAX_NANO, clamp, to_nano, to_nano_or_none, usd, usd_or_none, usd_sum

NANO = Decimal("1e-9")


def oracle(amount: float) -> int:
    """Nano-dollars of the decimal the float was written as, rounded half to even."""
    return int(Decimal(repr(amount)).quantize(NANO, rounding=ROUND_HALF_EVEN) / NANO)


def test_ties_round_to_even_and_the_rest_to_nearest() -> None:
    assert to_nano(0.0000000125) == 12  # a tie: to the even neighbour
    assert to_nano(0.0000000135) == 14
    assert to_nano(0.0000000005) == 0
    assert to_nano(0.0000000015) == 2
    assert to_nano(0.01234567891) == 12345679
    assert to_nano(1e-9) == 1
    assert to_nano(0.1 + 0.2) == 300_000_000  # 0.30000000000000004: the float's noise is gone
    assert to_nano(10_000.0) == 10_000_000_000_000
    assert to_nano(Decimal("0.0000000025")) == 2
    assert to_nano(3) == 3_000_000_000


def test_what_is_not_a_number_is_zero_and_unknown_stays_unknown() -> None:
    assert to_nano(math.nan) == to_nano(math.inf) == to_nano(-math.inf) == 0
    assert to_nano_or_none(None) is None and usd_or_none(None) is None
    assert usd(None) == 0.0


def test_dollars_are_exactly_the_nano_dollars_over_a_billion() -> None:
    assert usd(600_000_000) == 0.6  # where 0.1 + 0.2 + 0.3 as floats is 0.6000000000000001
    assert usd(Decimal(1)) == 1e-9  # PostgreSQL sums BIGINT as NUMERIC
    assert usd_sum(0.1, 0.2, 0.3) == 0.6
    assert usd_sum(0.3, 0.2, 0.1) == usd_sum(0.1, 0.3, 0.2)


def test_thresholds_are_clamped_to_what_a_bigint_holds() -> None:
    assert clamp(to_nano(1e12)) == MAX_NANO
    assert clamp(-(10**30)) == -MAX_NANO
    assert clamp(5) == 5


@given(
    st.one_of(
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
        st.integers(0, 10**13).map(lambda n: float(Decimal(n).scaleb(-12))),  # 12 decimals
        st.integers(0, 10**7).map(lambda n: float(f"{n}.5e-9")),  # exact ties
    )
)
@example(0.0000000125)
@example(9999.9999999995)
def test_to_nano_agrees_with_the_decimal_oracle(amount: float) -> None:
    assert to_nano(amount) == oracle(amount)


@given(st.integers(-(10**15), 10**15))
def test_below_a_million_dollars_the_round_trip_is_exact(nano: int) -> None:
    assert to_nano(usd(nano)) == nano
    assert usd(nano) == float(Decimal(nano) * NANO)  # correctly rounded
