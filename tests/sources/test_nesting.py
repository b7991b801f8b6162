"""The nesting measure that runs on unauthenticated bodies: right on real and hostile JSON, and linear on
a body built to make a string-skipping regex backtrack (one `"` then `\\"` pairs, never closed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clawscope.sources.nesting import nesting_depth, too_deep


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": "[[[{{{"}]}', 3),  # brackets inside strings do not count
        (b'{"a": "x\\"]]]"}', 1),  # nor after an escaped quote
        (b"[" * 100 + b"]" * 100, 100),
        (b'{"a": "unclosed [[[[', 1),  # an unclosed string runs to the end
    ],
)
def test_depth(body: bytes, depth: int) -> None:
    assert nesting_depth(body) == depth


def test_too_deep_names_the_limit() -> None:
    assert too_deep(b"[" * 65 + b"]" * 65) == "JSON nested deeper than 64 levels"
    assert too_deep(b"[" * 64 + b"]" * 64) is None


def test_a_backtracking_body_is_measured_in_one_pass() -> None:
    # 2 MB of `\"` after an opening quote: the old pattern rescanned to the end from every quote
    # (quadratic: 80 KB took 19 s, this would take hours); the possessive one reads it once. Run in a
    # child so that a regression fails at the (very generous) bound instead of hanging the suite.
    code = (
        "from clawscope.sources.nesting import nesting_depth;"
        "print(nesting_depth(b'{\"a\": \"' + b'\\\\\"' * 1_000_000 + b'[[['))"
    )
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, check=False, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
