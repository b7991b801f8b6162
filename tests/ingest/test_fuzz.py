"""Property tests: random and malformed lines never stop ingest, never pass silently, never lose the rest."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clawscope import analytics
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from tests.support.money import exact_usd

SID = "fuzz0000-0000-0000-0000-000000000000"
MODELS = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-flash"]
TOOLS = ["exec", "read", "web_search", "sessions_spawn"]

tokens = st.integers(min_value=0, max_value=2_000_000)
money = st.floats(min_value=0, max_value=50, allow_nan=False, allow_infinity=False)


@st.composite
def good_assistant(draw: st.DrawFn) -> dict[str, Any]:
    n_tools = draw(st.integers(0, 2))
    tools = [
        {
            "type": "toolCall",
            "id": f"c{draw(st.integers(0, 10**9))}",
            "name": draw(st.sampled_from(TOOLS)),
            "arguments": {"q": draw(st.text(max_size=20))},
        }
        for _ in range(n_tools)
    ]
    usage = {
        "input": draw(tokens),
        "output": draw(tokens),
        "cacheRead": draw(tokens),
        "cacheWrite": draw(tokens),
    }
    usage["cost"] = {"total": draw(money)}
    return {
        "kind": "call",
        "usage": usage,
        "tools": n_tools,
        "record": {
            "type": "message",
            "id": draw(st.uuids()).hex,
            "timestamp": "2026-11-01T10:00:00.000Z",
            "message": {
                "role": "assistant",
                "provider": "p",
                "model": draw(st.sampled_from(MODELS)),
                "stopReason": draw(st.sampled_from(["stop", "toolUse", "error", "length"])),
                "content": [*tools, {"type": "text", "text": draw(st.text(max_size=50))}],
                "usage": usage,
            },
        },
    }


@st.composite
def wrong_type_assistant(draw: st.DrawFn) -> dict[str, Any]:
    call = draw(good_assistant())
    call["record"]["message"]["usage"]["input"] = draw(st.sampled_from(["lots", [1], {"n": 1}, True]))
    call["usage"] = {**call["usage"], "input": 0}
    call["kind"] = "wrong"
    return call


@st.composite
def other_entry(draw: st.DrawFn) -> dict[str, Any]:
    rec = draw(
        st.sampled_from(
            [
                {"type": "message", "message": {"role": "user", "content": "hello"}},
                {
                    "type": "message",
                    "message": {"role": "toolResult", "toolCallId": "x", "isError": True, "content": []},
                },
                {"type": "compaction", "summary": "s", "tokensBefore": 5},
                {"type": "model_change", "provider": "p", "modelId": "m"},
                {"type": "brand_new_kind", "payload": [1, 2]},
                {
                    "type": "message",
                    "message": {"role": "assistant", "provider": "openclaw", "model": "delivery-mirror"},
                },
            ]
        )
    )
    return {
        "kind": "other",
        "record": {**rec, "id": draw(st.uuids()).hex, "timestamp": "2026-11-01T10:00:00Z"},
    }


garbage = st.one_of(
    st.binary(min_size=1, max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.sampled_from(
        [
            b"[1, 2, 3]",
            b'"just a string"',
            b"42",
            b"null",
            b"{",
            b'{"type": "message", "id": "x",',
            b'{"type":"message","message":{"role":"assistant","usage":{"input":1e999}}}',
        ]
    ),
).filter(lambda b: b.strip() and not _is_object(b))


def _is_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except ValueError:
        return False


line_spec = st.one_of(
    good_assistant(),
    wrong_type_assistant(),
    other_entry(),
    garbage.map(lambda b: {"kind": "garbage", "raw": b}),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line_spec, max_size=30), st.booleans())
def test_random_and_malformed_lines(specs: list[dict[str, Any]], truncate_last: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "state"
        sessions = root / "agents" / "main" / "sessions"
        sessions.mkdir(parents=True)
        lines = [s["raw"] if s["kind"] == "garbage" else json.dumps(s["record"]).encode() for s in specs]
        data = b"\n".join(lines) + b"\n"
        if truncate_last and lines:
            data = data[:-1]  # the last line has no newline: a complete record must still count
        (sessions / f"{SID}.jsonl").write_bytes(data)
        with Store(f"sqlite:///{tmp}/c.db") as store:
            # far in the future: the file has settled, so a cut-off last line is damage, not a write
            report = ingest(store, [root], instance="t", estimate=False, now=time.time() + 3600)
            totals = analytics.stats(store, Filters())["totals"]
            problems = analytics.problems(store)
    calls = [s for s in specs if s["kind"] in ("call", "wrong")]
    assert totals["llmCalls"] == len(calls)
    assert totals["tokensIn"] == sum(s["usage"]["input"] for s in calls)
    assert totals["tokensOut"] == sum(s["usage"]["output"] for s in calls)
    assert totals["cacheRead"] == sum(s["usage"]["cacheRead"] for s in calls)
    # money is whole nano-dollars (issue 13): exactly the half-even nano-dollars of each cost, summed
    assert totals["costUSD"] == exact_usd(s["usage"]["cost"]["total"] for s in calls)
    assert totals["toolCalls"] == sum(s["tools"] for s in calls)
    n_entries = sum(1 for s in specs if s["kind"] != "garbage")
    assert report.entries == n_entries
    # every bad line is recorded with where it was; nothing bad passes silently
    bad_lines = {i + 1 for i, s in enumerate(specs) if s["kind"] in ("garbage", "wrong")}
    flagged = {int(p["location"].split()[1]) for p in problems if p["severity"] in ("error", "warning")}
    assert bad_lines <= flagged
