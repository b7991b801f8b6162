"""Canonical encodings shared by receipts, webhooks and alerts: JSON (two ways) and base64url.

Signed and hashed artefacts need exact bytes, and PEAC (the receipt format clawscope speaks) uses
TWO JSON serializations, both defined by JavaScript:

* `jcs()` — RFC 8785 canonical JSON (sorted keys, ECMAScript number formatting), via the `rfc8785`
  package. Used for everything that is hashed: spool entry digests, payload digests, bundle hashes.
* `stringify()` — the byte-exact equivalent of `JSON.stringify(value[, null, 2])`: insertion key
  order, raw UTF-8, ECMAScript numbers. Used for what is signed or written: JWS segments, spool lines.

Numbers follow JavaScript: JSON integers beyond 2^53−1 become IEEE doubles on parse (as `JSON.parse`
does), so `123456789012345678901` hashes like the upstream TypeScript does. Absent keys and `null`
stay distinct because Python dicts already keep them apart.

`loads(strict=True)` is the I-JSON gate (RFC 7493) applied to anything signed: no duplicate member
names, no lone surrogates or noncharacters, no number whose magnitude exceeds 2^53−1.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import rfc8785

from clawscope.errors import ClawscopeError

MAX_SAFE_INTEGER = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
_HIGH = re.compile("[\ue000-\U0010ffff]")
_B64U = re.compile(r"[A-Za-z0-9_-]*")


class CanonicalError(ClawscopeError):
    """A value cannot be encoded or decoded canonically; `reason` is a stable short token."""

    code = "canonical_error"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# -- parsing ------------------------------------------------------------------------------------


def _js_int(text: str) -> int | float:
    value = int(text)
    return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else float(value)


def _no_constant(name: str) -> Any:
    raise CanonicalError("non_finite", f"{name} is not JSON")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CanonicalError("duplicate_member", f"duplicate object member name {key!r}")
        out[key] = value
    return out


def loads(data: bytes | str, *, strict: bool = False) -> Any:
    """Parse JSON like JavaScript's `JSON.parse`; with `strict`, also enforce I-JSON."""
    try:
        value = json.loads(
            data,
            parse_int=_js_int,
            parse_constant=_no_constant,
            object_pairs_hook=_unique_pairs if strict else None,
        )
    except CanonicalError:
        raise
    except UnicodeDecodeError as exc:
        raise CanonicalError("invalid_utf8", f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    except (ValueError, RecursionError) as exc:
        raise CanonicalError("invalid_json", f"not JSON: {exc}") from None
    if strict:
        check_ijson(value)
    return value


def check_ijson(value: Any, path: str = "$") -> None:
    """Raise CanonicalError unless `value` satisfies the I-JSON rules PEAC applies to signed JSON."""
    if isinstance(value, str):
        _check_string(value, path)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CanonicalError("number_out_of_range", f"{path}: non-finite number")
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalError("number_out_of_range", f"{path}: |number| exceeds 2^53-1")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError("invalid_json", f"{path}: object key is not a string")
            _check_string(key, path)
            check_ijson(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_ijson(item, f"{path}[{index}]")
    else:
        raise CanonicalError("invalid_json", f"{path}: {type(value).__name__} is not JSON")


def _check_string(text: str, path: str) -> None:
    if text.isascii():
        return
    if _SURROGATE.search(text):
        raise CanonicalError("lone_surrogate", f"{path}: lone UTF-16 surrogate in string")
    for char in text:
        cp = ord(char)
        if 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE:
            raise CanonicalError("noncharacter", f"{path}: Unicode noncharacter U+{cp:04X} in string")


# -- RFC 8785 -----------------------------------------------------------------------------------


def to_js(value: Any) -> Any:
    """Copy of `value` with integers outside ±(2^53−1) turned into doubles, as JavaScript holds them."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else float(value)
    if isinstance(value, dict):
        return {k: to_js(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_js(v) for v in value]
    return value


def _plain(value: Any, sorted_keys: bool) -> bool:
    """True when Python's C `json.dumps` writes exactly what JSON.stringify / RFC 8785 write.

    That holds unless the value has floats outside the range where `repr` and ECMAScript agree,
    integers beyond 2^53, lone surrogates, or (for sorted keys) keys at or above U+E000, where
    code-point order and UTF-16 order differ. Checked by one cheap walk; anything else takes the
    exact (slower) path.
    """
    kind = type(value)
    if kind is str:
        return value.isascii() or _SURROGATE.search(value) is None
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if not key.isascii() and (_SURROGATE.search(key) or (sorted_keys and _HIGH.search(key))):
                return False
            if not _plain(item, sorted_keys):
                return False
        return True
    if kind is list:
        return all(_plain(item, sorted_keys) for item in value)
    if kind is float:
        # repr() and Number::toString agree for non-integral values in [1e-4, 1e16)
        return 1e-4 <= abs(value) < 1e16 and not value.is_integer()
    return value is None or kind is bool


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of `value` (JavaScript number semantics)."""
    if _plain(value, True):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        return jcs(to_js(value))
    except rfc8785.FloatDomainError as exc:
        raise CanonicalError("non_finite", str(exc)) from None
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as exc:
        reason = "lone_surrogate" if _has_surrogate(value) else "invalid_json"
        raise CanonicalError(reason, f"cannot canonicalize: {exc}") from None
    except (TypeError, RecursionError) as exc:
        raise CanonicalError("invalid_json", f"cannot canonicalize: {exc}") from None


def jcs_and_stringify(value: Any) -> tuple[bytes, str]:
    """Both serializations of one value (`jcs(value)`, `stringify(value)`) with a single check.

    The spool needs both for every entry (the digest and the line), on the capture path.
    """
    if _plain(value, True):
        return (
            json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8"),
            json.dumps(value, ensure_ascii=False, separators=(",", ":")),
        )
    return jcs(value), stringify(value)


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_surrogate(v) for v in value)
    return False


# -- JSON.stringify -----------------------------------------------------------------------------


def es_number(value: float) -> str:
    """ECMAScript Number::toString: shortest round-trip digits, exponent outside [1e-7, 1e21)."""
    if not math.isfinite(value):
        return "null"  # what JSON.stringify writes for NaN and ±Infinity
    if value == 0:
        return "0"
    if value < 0:
        return "-" + es_number(-value)
    # repr() gives the shortest round-trip digits, exactly the digits ECMAScript chooses.
    _, digit_tuple, exp = Decimal(repr(value)).as_tuple()
    if not isinstance(exp, int):  # pragma: no cover - finite values always have an int exponent
        raise CanonicalError("non_finite", "not a finite number")
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    n = len(digit_tuple) + exp  # value = 0.<digits> × 10^n
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    exponent = n - 1
    sign = "+" if exponent >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{head}e{sign}{abs(exponent)}"


def _js_string(text: str) -> str:
    out: str = encode_basestring(text)
    if not text.isascii() and _SURROGATE.search(text):
        out = _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", out)
    return out


def stringify(value: Any, indent: int | None = None) -> str:
    """`JSON.stringify(value)` (or `JSON.stringify(value, null, indent)`), byte for byte."""
    if _plain(value, False):
        if indent:
            return json.dumps(value, ensure_ascii=False, indent=indent)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    parts: list[str] = []
    _emit(value, parts, indent, 0)
    return "".join(parts)


def _emit(value: Any, out: list[str], indent: int | None, depth: int) -> None:
    if isinstance(value, str):
        out.append(_js_string(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, int):
        out.append(str(value) if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else es_number(float(value)))
    elif isinstance(value, float):
        out.append(es_number(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner, outer = _pads(indent, depth)
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(inner)
            out.append(_js_string(key))
            out.append(": " if indent else ":")
            _emit(item, out, indent, depth + 1)
        out.append(outer + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner, outer = _pads(indent, depth)
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            out.append(inner)
            _emit(item, out, indent, depth + 1)
        out.append(outer + "]")
    else:
        raise CanonicalError("invalid_json", f"{type(value).__name__} is not JSON")


def _pads(indent: int | None, depth: int) -> tuple[str, str]:
    if not indent:
        return "", ""
    return "\n" + " " * (indent * (depth + 1)), "\n" + " " * (indent * depth)


# -- base64url ----------------------------------------------------------------------------------


def b64u_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as JWS and PEAC ids use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Strict inverse of `b64u_encode`: no padding, no foreign characters, canonical trailing bits."""
    if not _B64U.fullmatch(text) or len(text) % 4 == 1:
        raise CanonicalError("invalid_base64url", "not base64url (alphabet, padding or length)")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise CanonicalError("invalid_base64url", "not base64url") from None
    if b64u_encode(data) != text:  # non-zero unused bits: a second spelling of the same bytes
        raise CanonicalError("invalid_base64url", "non-canonical base64url encoding")
    return data
