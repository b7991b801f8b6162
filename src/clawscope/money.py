"""Money as integer nano-dollars: the one place a USD amount becomes an integer and back.

Every money column of the store holds whole nano-dollars (10⁻⁹ USD, `BIGINT`), so any sum — raw rows or
roll-ups, SQLite or PostgreSQL, whatever the batch size or order — is exact and identical: floating-point
sums differ in their last digits with the order they add in. An amount enters as the decimal number it
was written as (OpenClaw's `usage.cost`, a price-table estimate) rounded half-even to the nano-dollar,
and leaves as dollars only at an edge (API, CLI, exports): `usd(n)` is exactly `n / 10⁹`, correctly
rounded, so a total shown is the exact sum of the stored values. Amounts below a million dollars survive
the round trip `to_nano(usd(n)) == n` (a float's 16 digits hold them).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

NANO_PER_USD = 1_000_000_000
# The largest amount a BIGINT column holds (about 9.2 billion dollars): thresholds beyond it are clamped.
MAX_NANO = 2**63 - 1
_ONE = Decimal(1)


def to_nano(amount: float | int | Decimal) -> int:
    """A USD amount in whole nano-dollars, rounded half-even. A float counts as the shortest decimal that
    reads back as it (what JSON text held), not as its binary expansion; NaN and infinities are 0."""
    if isinstance(amount, float):
        if not math.isfinite(amount):
            return 0
        # Fast path (ingest converts every call's costs): below a million dollars the float product is
        # within 10⁻³ nano-dollars of the decimal's, so unless it lies near a tie it rounds the same way.
        scaled = amount * 1e9
        near = round(scaled)
        if abs(amount) < 1e6 and abs(abs(scaled - near) - 0.5) > 0.01:
            return near
        amount = Decimal(repr(amount))
    return int(Decimal(amount).scaleb(9).quantize(_ONE, rounding=ROUND_HALF_EVEN))


def to_nano_or_none(amount: float | None) -> int | None:
    """`to_nano`, keeping an unknown amount unknown."""
    return None if amount is None else to_nano(amount)


def usd(nano: Any) -> float:
    """Whole nano-dollars (an int, or a database sum: PostgreSQL returns NUMERIC) as dollars, exactly
    `nano / 10⁹` correctly rounded; None is 0."""
    return 0.0 if nano is None else int(nano) / NANO_PER_USD


def usd_or_none(nano: Any) -> float | None:
    """`usd`, keeping an unknown amount unknown."""
    return None if nano is None else usd(nano)


def usd_sum(*amounts: float) -> float:
    """The sum of dollar amounts read from nano-dollars, added as nano-dollars (exact, any order)."""
    return usd(sum(to_nano(a) for a in amounts))


def clamp(nano: int) -> int:
    """A nano-dollar threshold a BIGINT comparison can bind (a filter of a trillion dollars is all)."""
    return max(-MAX_NANO, min(MAX_NANO, nano))
