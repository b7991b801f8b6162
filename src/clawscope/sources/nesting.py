"""How deep a JSON text nests, measured before any decoder recurses into it.

msgspec, the stdlib and protobuf's JSON parser all recurse once per level and raise `RecursionError`
at about 1,000 levels (a 2 KB body); a body from the network is therefore measured first, at C speed
(a regex and a `translate`), and refused beyond its limit with an error of its own.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_DEPTH = 64  # a webhook body: a record sits a few levels down; tool arguments nest a few more
# A string, possessively (Python >= 3.11): an unclosed one runs to the end of the body instead of being
# rescanned from every later quote, which made a body of `"` and `\"` pairs quadratic (80 KB: 19 s).
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count). C-speed
    passes only: the body may be megabytes, and it is not authenticated yet."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> str | None:
    """Why the body is refused (it nests deeper than `limit`), or None when it is fine."""
    if nesting_depth(body) > limit:
        return f"JSON nested deeper than {limit} levels"
    return None
