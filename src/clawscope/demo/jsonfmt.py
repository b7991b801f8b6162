"""JSON exactly as OpenClaw (JavaScript) writes it: number formatting, usage blocks, pretty files.

OpenClaw serialises with `JSON.stringify`. orjson matches it byte for byte for strings, integers and
compact or 2-space layout, but not for floats: JavaScript writes `0` for 0.0 and `0.0000015` where
orjson writes `1.5e-6`. Costs are the only floats OpenClaw writes, so they go through `js_number` and
are embedded as `orjson.Fragment`s.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

_MILLION = 1_000_000


def js_number(value: float) -> str:
    """`String(value)` in JavaScript (ECMAScript Number::toString), for a finite float."""
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    text = repr(value)
    if "e" not in text:  # Python and JavaScript agree on the shortest digits; only exponents differ
        return text
    sign, digit_tuple, exp = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = digits.rstrip("0")
    exp = int(exp) + len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = exp + k  # value = 0.digits × 10^n
    minus = "-" if sign else ""
    if k <= n <= 21:
        return minus + digits + "0" * (n - k)
    if 0 < n <= 21:
        return minus + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return minus + "0." + "0" * (-n) + digits
    e = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return minus + head + "e" + ("+" if e >= 0 else "-") + str(abs(e))


class Priced:
    """Per-call cost by token class, computed the way pi-ai's `calculateCost` does (same float ops)."""

    __slots__ = ("cache_read", "cache_write", "input", "output", "total")

    def __init__(self, prices: tuple[float, float, float, float], tokens: tuple[int, int, int, int]) -> None:
        self.input = (prices[0] / _MILLION) * tokens[0]
        self.output = (prices[1] / _MILLION) * tokens[1]
        self.cache_read = (prices[2] / _MILLION) * tokens[2]
        self.cache_write = (prices[3] / _MILLION) * tokens[3]
        self.total = self.input + self.output + self.cache_read + self.cache_write


def usage_fragment(
    inp: int, out: int, cache_read: int, cache_write: int, cost: Priced | None
) -> orjson.Fragment:
    """The `usage` object of an assistant message; `cost=None` writes the all-zero cost of a failed call."""
    total = inp + out + cache_read + cache_write
    if cost is None:
        c = '{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}'
    else:
        c = (
            f'{{"input":{js_number(cost.input)},"output":{js_number(cost.output)},'
            f'"cacheRead":{js_number(cost.cache_read)},"cacheWrite":{js_number(cost.cache_write)},'
            f'"total":{js_number(cost.total)}}}'
        )
    return orjson.Fragment(
        f'{{"input":{inp},"output":{out},"cacheRead":{cache_read},"cacheWrite":{cache_write},'
        f'"totalTokens":{total},"cost":{c}}}'
    )


ZERO_USAGE = usage_fragment(0, 0, 0, 0, None)


def js_float(value: float) -> orjson.Fragment:
    """A float field outside `usage` (e.g. `estimatedCostUsd`), formatted like JavaScript."""
    return orjson.Fragment(js_number(value))


def compact(obj: Any) -> bytes:
    """`JSON.stringify(obj)`."""
    return orjson.dumps(obj)


def pretty(obj: Any) -> bytes:
    """`JSON.stringify(obj, null, 2)`."""
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2)


class PrettyMapWriter:
    """Streams a pretty-printed JSON object `{"k": v, …}` one member at a time, at any nesting depth.

    `sessions.json` and `subagents/runs.json` can hold tens of thousands of members; writing them as
    they are produced keeps memory flat. The bytes equal `JSON.stringify(whole, null, 2)`.
    """

    def __init__(self, write: Any, indent: int) -> None:
        self._write = write
        self._pad = b" " * indent
        self._first = True

    def member(self, key: str, value: Any) -> None:
        body = pretty(value).replace(b"\n", b"\n" + self._pad + b"  ")
        sep = b"\n" if self._first else b",\n"
        self._first = False
        self._write(sep + self._pad + b"  " + orjson.dumps(key) + b": " + body)

    def close(self) -> None:
        """Write the closing brace (`{}` when empty); the opening `{` is the caller's."""
        self._write(b"}" if self._first else b"\n" + self._pad + b"}")
