"""JSON as JavaScript writes it: numbers, usage blocks, streamed pretty objects."""

from __future__ import annotations

import io
import json

import orjson
import pytest

from clawscope.demo.jsonfmt import PrettyMapWriter, Priced, js_number, pretty, usage_fragment

# (value, String(value) in Node 20) — computed once with `node -e`.
JS = [
    (0.0000015, "0.0000015"),
    (0.020529000000000002, "0.020529000000000002"),
    (1.5e-7, "1.5e-7"),
    (1e21, "1e+21"),
    (123.5, "123.5"),
    (0.1 + 0.2, "0.30000000000000004"),
    (2.5e-5, "0.000025"),
    (1e-6, "0.000001"),
    (0.00007500000000000001, "0.00007500000000000001"),
    (1e-7, "1e-7"),
    (1.2345e22, "1.2345e+22"),
    (-0.5, "-0.5"),
    (5e-324, "5e-324"),
    (123456789012345680000.0, "123456789012345680000"),
    (0.0, "0"),
    (3.0, "3"),
    (9.989999999999999e-7, "9.989999999999999e-7"),
]


@pytest.mark.parametrize(("value", "text"), JS)
def test_numbers_print_like_javascript(value: float, text: str) -> None:
    assert js_number(value) == text


def test_usage_reproduces_a_real_openclaw_usage_block() -> None:
    # RUN-3.24, main session, first call: fake model priced 3 / 15 / 0.3 / 3.75 per Mtok.
    real = (
        '{"input":6843,"output":7,"cacheRead":5,"cacheWrite":0,"totalTokens":6855,"cost":{"input":'
        '0.020529000000000002,"output":0.000105,"cacheRead":0.0000015,"cacheWrite":0,"total":0.020635500000000005}}'
    )
    tokens = (6843, 7, 5, 0)
    block = usage_fragment(*tokens, Priced((3, 15, 0.3, 3.75), tokens))
    assert orjson.dumps({"usage": block}) == b'{"usage":' + real.encode() + b"}"
    zero = usage_fragment(0, 0, 0, 0, None)
    assert json.loads(orjson.dumps(zero))["cost"] == dict.fromkeys(
        ("input", "output", "cacheRead", "cacheWrite", "total"), 0
    )


@pytest.mark.parametrize("indent", [0, 2])
@pytest.mark.parametrize("members", [0, 1, 3])
def test_streamed_object_equals_the_whole_object(indent: int, members: int) -> None:
    data = {
        f"agent:main:k{i}": {"sessionId": str(i), "list": [1, {"a": []}], "empty": {}} for i in range(members)
    }
    out = io.BytesIO()
    out.write(b"{")
    writer = PrettyMapWriter(out.write, indent)
    for k, v in data.items():
        writer.member(k, v)
    writer.close()
    if indent == 0:
        assert out.getvalue() == pretty(data)
    else:  # nested one level down, as `runs` inside runs.json
        whole = pretty({"version": 2, "runs": data})
        assert b'{\n  "version": 2,\n  "runs": ' + out.getvalue() + b"\n}" == whole
