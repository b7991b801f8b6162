"""Canonical JSON: RFC 8785 (via rfc8785) with JavaScript numbers, JSON.stringify parity, the I-JSON gate."""

from __future__ import annotations

import hashlib
import json
import math
import struct

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from clawscope.audit.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalError,
    _emit,
    b64u_decode,
    b64u_encode,
    check_ijson,
    es_number,
    jcs,
    loads,
    stringify,
    to_js,
)
from tests.support.vectors import VECTORS


def jcs_vectors() -> list[dict[str, str]]:
    return json.loads((VECTORS / "expected" / "jcs-vectors.json").read_text())


@pytest.mark.parametrize("vector", jcs_vectors(), ids=lambda v: v["name"])
def test_upstream_jcs_vectors(vector: dict[str, str]) -> None:
    value = loads(vector["input_as_JSON_stringify"])
    assert stringify(value) == vector["input_as_JSON_stringify"]
    assert jcs(value) == vector["canonical"].encode()
    assert hashlib.sha256(jcs(value)).hexdigest() == vector["sha256"]


def test_integers_beyond_2_53_become_doubles_like_json_parse() -> None:
    value = loads(b'{"n":123456789012345678901,"m":-9007199254740992,"k":9007199254740991}')
    assert value == {"n": 1.2345678901234568e20, "m": -9007199254740992.0, "k": 9007199254740991}
    assert isinstance(value["k"], int)
    assert jcs(value) == b'{"k":9007199254740991,"m":-9007199254740992,"n":123456789012345680000}'
    assert stringify(value) == '{"n":123456789012345680000,"m":-9007199254740992,"k":9007199254740991}'


def test_python_big_ints_are_hashed_as_javascript_holds_them() -> None:
    assert jcs({"x": 2**70}) == jcs({"x": float(2**70)}) == b'{"x":1.1805916207174113e+21}'
    assert stringify([2**60]) == "[1152921504606847000]"


def test_absent_and_null_stay_distinct() -> None:
    assert jcs({"a": None}) == b'{"a":null}'
    assert jcs({}) == b"{}"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1e20, "100000000000000000000"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (123.0, "123"),
        (-1.5e-9, "-1.5e-9"),
        (float("nan"), "null"),
        (float("inf"), "null"),
    ],
)
def test_es_number(value: float, text: str) -> None:
    assert es_number(value) == text


@settings(deadline=None)  # shared 2-core machine: no per-example deadline
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_es_number_matches_rfc8785_on_every_double(bits: int) -> None:
    value = struct.unpack("<d", bits.to_bytes(8, "little"))[0]
    if math.isfinite(value):
        assert es_number(value) == rfc8785.dumps(value).decode()


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)))
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(deadline=None)  # shared 2-core machine: no per-example deadline
@given(JSON_VALUES)
def test_stringify_round_trips_with_javascript_semantics(value: object) -> None:
    text = stringify(value)
    assert loads(text) == to_js(value)
    assert jcs(loads(text)) == jcs(value)


@settings(deadline=None)  # shared 2-core machine: no per-example deadline
@given(JSON_VALUES)
def test_jcs_is_idempotent_and_key_order_free(value: object) -> None:
    once = jcs(value)
    assert jcs(loads(once)) == once
    assert json.loads(once) == json.loads(stringify(to_js(value)))


@settings(deadline=None)  # shared 2-core machine: no per-example deadline
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
        lambda i: st.lists(i, max_size=3) | st.dictionaries(st.text(max_size=4), i, max_size=3),
    )
)
def test_stringify_equals_python_json_without_floats(value: object) -> None:
    # Without floats and lone surrogates, JSON.stringify and json.dumps agree exactly (escapes included).
    assert stringify(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert stringify(value, 2) == json.dumps(value, ensure_ascii=False, indent=2)


@settings(deadline=None)  # shared 2-core machine: no per-example deadline
@given(
    JSON_VALUES
    | st.dictionaries(st.text(alphabet="aé\ue000\U0001f600", max_size=3), JSON_SCALARS, max_size=5)
)
def test_the_fast_path_writes_exactly_what_the_exact_path_writes(value: object) -> None:
    # jcs/stringify hand "plain" values to the C json encoder; the exact path is rfc8785 / our emitter.
    assert jcs(value) == rfc8785.dumps(to_js(value))
    parts: list[str] = []
    _emit(value, parts, None, 0)
    assert stringify(value) == "".join(parts)
    indented: list[str] = []
    _emit(value, indented, 2, 0)
    assert stringify(value, 2) == "".join(indented)


def test_string_escapes_follow_json_stringify() -> None:
    text = 'q" b\\ / \b\f\n\r\t \x00\x1f \x7f \u2028 é 😀'
    assert stringify(text) == '"q\\" b\\\\ / \\b\\f\\n\\r\\t \\u0000\\u001f \x7f \u2028 é 😀"'
    assert stringify("\ud800") == '"\\ud800"'  # well-formed JSON.stringify escapes lone surrogates


def test_lone_surrogates_cannot_be_hashed() -> None:
    with pytest.raises(CanonicalError) as exc:
        jcs({"k": "\udc00"})
    assert exc.value.reason == "lone_surrogate"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a":1,"a":2}', "duplicate_member"),
        (b'{"a":"\\ud800"}', "lone_surrogate"),
        (b'{"a":"\\ufdd0"}', "noncharacter"),
        (b'{"a":"\xef\xbf\xbe"}', "noncharacter"),
        (b'{"a":9007199254740992}', "number_out_of_range"),
        (b'{"a":1e400}', "number_out_of_range"),
        (b'{"a":NaN}', "non_finite"),
        (b'{"a":1', "invalid_json"),
        (b'"\xff"', "invalid_utf8"),
    ],
)
def test_ijson_gate(raw: bytes, reason: str) -> None:
    with pytest.raises(CanonicalError) as exc:
        loads(raw, strict=True)
    assert exc.value.reason == reason


def test_ijson_accepts_the_safe_range_and_non_bmp_text() -> None:
    check_ijson({"n": MAX_SAFE_INTEGER, "m": -MAX_SAFE_INTEGER, "s": "😀", "f": 0.5})
    assert loads(b'{"a":"\\ud83d\\ude00"}', strict=True) == {"a": "😀"}


@settings(deadline=None)  # shared 2-core machine: no per-example deadline
@given(st.binary(max_size=64))
def test_b64url_round_trip(data: bytes) -> None:
    assert b64u_decode(b64u_encode(data)) == data
    assert "=" not in b64u_encode(data)


@pytest.mark.parametrize("text", ["AB==", "A", "AB+/", "AB C", "AF"])
def test_b64url_rejects_padding_foreign_chars_and_non_canonical_bits(text: str) -> None:
    with pytest.raises(CanonicalError):
        b64u_decode(text)
