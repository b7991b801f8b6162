"""OTLP export: one trace per turn with spans for its model and tool calls (real start and end times, the
documented `gen_ai.*` and `openclaw.*` attributes, ids derived from OpenClaw's), received by a loopback
server decoding with opentelemetry-proto and by clawscope's own OTLP receiver; resumable: a `kill -9`
mid-export resends at most one batch, with identical ids, and loses nothing; the metrics as OTLP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from clawscope import analytics
from clawscope.demo import generate
from clawscope.exports import otlp
from clawscope.exports.otlp_spans import span_id, trace_id, turns
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from tests.support.env import ROOT
from tests.support.otlp_sink import OtlpSink, ReceivedSpan
from tests.support.serve import Serve

BATCH = 2


@pytest.fixture
def demo(tmp_path: Path) -> Store:
    generate(tmp_path / "demo", sessions=16, agents=2, era="jsonl", seed=6)
    store = Store(f"sqlite:///{tmp_path / 'clawscope.db'}")
    ingest(store, [tmp_path / "demo"], instance="demo-host", estimate=True)
    return store


def reference(store: Store) -> dict[str, ReceivedSpan]:
    """Every span, by span id, as an uninterrupted in-process export sends them."""
    with OtlpSink() as sink:
        otlp.TraceExport(store, otlp.target(sink.url), batch_turns=BATCH, settle_s=0).run()
        spans = sink.spans()
    by_id = {s.span_id: s for s in spans}
    assert len(by_id) == len(spans)  # no span twice
    return by_id


def test_spans_carry_the_documented_attributes_and_real_times(demo: Store) -> None:
    spans = list(reference(demo).values())
    totals = analytics.totals(demo, Filters())
    by_op = Counter(s.attr()["gen_ai.operation.name"] for s in spans)
    assert by_op["chat"] == totals["llmCalls"]
    assert by_op["execute_tool"] == totals["toolCalls"]
    roots = [s for s in spans if s.attr()["gen_ai.operation.name"] == "invoke_agent"]
    assert len(roots) == by_op["invoke_agent"] == len({s.trace_id for s in spans})  # one trace per turn
    chats = [s for s in spans if s.name.startswith("chat ")]
    assert sum(s.attr()["gen_ai.usage.input_tokens"] for s in chats) == totals["tokensIn"]
    assert sum(s.attr()["openclaw.tokens.output"] for s in chats) == totals["tokensOut"]
    assert sum(s.attr().get("openclaw.cost.usd", 0) for s in chats) == pytest.approx(totals["costUSD"])
    for s in chats:
        a = s.attr()
        for key in ("gen_ai.provider.name", "gen_ai.request.model", "gen_ai.usage.output_tokens",
                    "gen_ai.conversation.id", "openclaw.session.id", "openclaw.agent", "openclaw.entry.id",
                    "openclaw.trigger", "openclaw.tokens.input", "openclaw.instance"):  # fmt: skip
            assert key in a, (key, a)
        assert s.name == f"chat {a['gen_ai.request.model']}"
        assert s.span_id == f"{span_id('call', a['openclaw.session.id'], a['openclaw.entry.id']):016x}"
        assert 0 < s.start <= s.end
    roots_by_trace = {r.trace_id: r for r in roots}
    for s in spans:
        if s in roots:
            a = s.attr()
            assert s.trace_id == f"{trace_id(a['openclaw.session.id'], a['openclaw.turn.entry_id']):032x}"
            assert s.parent == ""
        else:
            root = roots_by_trace[s.trace_id]
            assert s.parent == root.span_id and root.start <= s.start and s.end <= root.end
    tools = [s for s in spans if s.name.startswith("execute_tool ")]
    assert tools and all(
        {"gen_ai.tool.name", "gen_ai.tool.call.id", "openclaw.tool.status"} <= set(s.attr()) for s in tools
    )
    assert any(s.end > s.start for s in tools)  # real durations
    assert {dict(s.resource)["service.name"] for s in spans} == {"openclaw"}
    # The model-call times are OpenClaw's: the call's start and its reply.
    with demo.engine.connect() as conn:
        sql = (
            "SELECT l.entry_id, l.started_ms, l.ts_ms, s.session_id FROM llm_calls l "
            "JOIN sessions s ON s.sid = l.sid WHERE l.started_ms < l.ts_ms LIMIT 1"
        )
        row = conn.execute(text(sql)).one()
    match = next(
        s
        for s in chats
        if s.attr()["openclaw.entry.id"] == row[0] and s.attr()["openclaw.session.id"] == row[3]
    )
    assert (match.start, match.end) == (row[1] * 1_000_000, row[2] * 1_000_000)


def test_a_second_run_sends_nothing_and_since_limits_a_backfill(demo: Store) -> None:
    with OtlpSink() as sink:
        to = otlp.target(sink.url, "x-api-key=k%3D1")
        first = otlp.TraceExport(demo, to, batch_turns=BATCH, settle_s=0).run()
        assert first.turns > 5 and first.batches == -(-first.turns // BATCH)
        assert sink.headers[0]["x-api-key"] == "k=1"
        again = otlp.TraceExport(demo, to, batch_turns=BATCH, settle_s=0).run()
        assert (again.turns, again.batches, len(sink.batches)) == (0, 0, first.batches)
    # when each turn was opened (its first entry)
    found = [
        t for sid, _, _ in demo.otlp.pending("none", None, 0, 10_000) for t in turns(demo.otlp.session(sid))
    ]
    starts = sorted(t.opened_ms * 1_000_000 for t in found if t.opened_ms is not None)
    assert (
        len(starts)
        == len(found)
        == sum(1 for s in reference(demo).values() if s.name.startswith("invoke_agent"))
    )
    since_ms = starts[len(starts) // 2] // 1_000_000
    with OtlpSink() as sink:
        to = otlp.target(sink.url)
        later = otlp.TraceExport(demo, to, batch_turns=BATCH, settle_s=0).run(since_ms)
        roots = [s for s in sink.spans() if s.name.startswith("invoke_agent")]
        assert len(roots) == later.turns == sum(1 for t in starts if t >= since_ms * 1_000_000)
        everything = otlp.TraceExport(demo, to, batch_turns=BATCH, settle_s=0).run()  # back-fill further
        assert later.turns + everything.turns == len(starts)


def test_an_unsettled_last_turn_waits(demo: Store) -> None:
    with OtlpSink() as sink:
        waiting = otlp.TraceExport(demo, otlp.target(sink.url), settle_s=10 * 365 * 86400).run()
        assert waiting.turns < len([s for s in reference(demo).values() if s.name.startswith("invoke_agent")])
        assert waiting.sessions == 0  # every session is looked at again next time


def _cli(db_url: str, endpoint: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CLAWSCOPE_HOME": str(Path(db_url[10:]).parent / "home"),
    }
    cmd = [sys.executable, "-m", "clawscope.cli", "otlp", "export", "--db", db_url, "--endpoint", endpoint,
           "--batch-turns", str(BATCH), "--settle", "0", "--no-metrics", *extra]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _finish(proc: subprocess.Popen[bytes]) -> None:
    assert proc.wait(120) == 0


def test_kill_9_mid_export_resends_at_most_one_batch_and_loses_nothing(demo: Store) -> None:
    want = reference(demo)
    with OtlpSink(hold_at=3) as sink:
        proc = _cli(demo.url, sink.url)
        assert sink.held.wait(60), "the third batch never arrived"
        os.kill(proc.pid, signal.SIGKILL)  # while the endpoint holds its answer to batch 3
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        sink.release.set()
        held = sink.batches[2]
        _finish(_cli(demo.url, sink.url))
        got = sink.spans()
        target = otlp.target(sink.url).key
    counts = Counter(s.span_id for s in got)
    assert set(counts) == set(want)  # nothing lost
    resent = {i for i, n in counts.items() if n > 1}
    assert resent == {s.span_id for s in held}  # only the batch in flight, once more
    assert all(n <= 2 for n in counts.values())
    assert sink.batches[3] == held  # resent first, identical (same ids, times, attributes)
    for s in got:
        assert s == want[s.span_id]
    with demo.engine.connect() as conn:
        turns = conn.execute(
            text("SELECT count(*) FROM otlp_turns WHERE target = :t"), {"t": target}
        ).scalar()
    assert turns == sum(1 for s in want.values() if s.name.startswith("invoke_agent"))


def test_kill_9_mid_export_into_clawscope_s_own_receiver(demo: Store, tmp_path: Path) -> None:
    want = reference(demo)
    turns = sum(1 for s in want.values() if s.name.startswith("invoke_agent"))
    receiver_url = f"sqlite:///{tmp_path / 'receiver.db'}"
    with Store(receiver_url) as receiver:
        key, _ = receiver.keys.create("otlp", ("ingest:write",), 100_000)

        def stored() -> int:
            with receiver.engine.connect() as conn:
                return int(
                    conn.execute(text("SELECT count(*) FROM observations WHERE source = 'otlp'")).scalar()
                    or 0
                )

        with Serve(tmp_path / "home", receiver_url) as serve:
            header = ("--header", f"authorization=Bearer%20{key}")
            proc = _cli(demo.url, serve.url, *header)
            deadline = time.monotonic() + 60
            while stored() < len(want) // 3:
                assert time.monotonic() < deadline and proc.poll() is None, "the export did not get going"
                time.sleep(0.02)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
            assert stored() < len(want)  # killed mid-export
            _finish(_cli(demo.url, serve.url, *header))
        with receiver.engine.connect() as conn:
            rows = conn.execute(text("SELECT category, dedupe FROM observations WHERE source = 'otlp'")).all()
        accepted = {(r["endpoint"], r["outcome"]): r["n"] for r in receiver.metrics.requests()}
    assert len(rows) == len(want)  # nothing lost, nothing stored twice
    assert {d.rsplit(":", 1)[1] for _, d in rows} == set(want)
    categories = Counter(c for c, _ in rows)
    assert categories["run"] == turns
    assert categories["llm"] == sum(1 for s in want.values() if s.name.startswith("chat "))
    assert categories["tool"] == sum(1 for s in want.values() if s.name.startswith("execute_tool "))
    batches = -(-turns // BATCH)
    assert accepted[("otlp_traces", "accepted")] in (batches, batches + 1)  # at most one batch resent


def test_metrics_as_otlp(demo: Store) -> None:
    with OtlpSink() as sink:
        assert otlp.export_metrics(demo, otlp.target(sink.url), 50) > 10
        req = sink.metrics[0]
    found = {m.name: m for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    totals = analytics.totals(demo, Filters())
    calls = found["clawscope.model_calls"].sum
    assert calls.is_monotonic and calls.aggregation_temporality == 2  # cumulative
    assert sum(p.as_double for p in calls.data_points) == totals["llmCalls"]
    assert sum(p.as_double for p in found["clawscope.cost_usd"].sum.data_points) == pytest.approx(
        totals["costUSD"]
    )
    hist = found["clawscope.model_call_duration"]
    assert hist.unit == "s"
    for p in hist.histogram.data_points:
        assert sum(p.bucket_counts) == p.count and len(p.bucket_counts) == len(p.explicit_bounds) + 1
    point = calls.data_points[0]
    assert {kv.key for kv in point.attributes} >= {
        "openclaw.agent",
        "gen_ai.request.model",
        "openclaw.outcome",
    }


def _now_iso(offset_s: float = 0) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_serve_exports_new_turns_and_the_metrics_when_configured(tmp_path: Path) -> None:
    """`serve` with otlp_endpoint: history from before the export was enabled stays (a back-fill sends it);
    a turn OpenClaw writes afterwards arrives as a trace, and the metrics come every round."""
    from tests.support.builders import assistant, state_dir, tool_call, tool_result, user, write_session

    state = tmp_path / "openclaw"
    sessions = state_dir(state)
    write_session(
        sessions,
        "old-session",
        [user("hi", ts="2026-01-01T10:00:00.000Z"), assistant(ts="2026-01-01T10:00:02.000Z")],
    )
    db_url = f"sqlite:///{tmp_path / 'clawscope.db'}"
    with OtlpSink() as sink:
        env = {
            "CLAWSCOPE_OTLP_ENDPOINT": sink.url,
            "CLAWSCOPE_OTLP_INTERVAL_S": "0.3",
            "CLAWSCOPE_OTLP_SETTLE_S": "0",
        }
        with Serve(tmp_path / "home", db_url, "--state", str(state), extra_env=env):
            deadline = time.monotonic() + 60
            while not sink.metrics:
                assert time.monotonic() < deadline, "no metrics arrived"
                time.sleep(0.1)
            records = [  # written after the export began: a turn of its time
                user("now", ts=_now_iso(0.1)),
                assistant(ts=_now_iso(0.2), tools=[tool_call("c1", "exec", command="ls")]),
                tool_result("c1", "exec", ts=_now_iso(0.3)),
            ]
            write_session(sessions, "new-session", records)
            while not any(s.name.startswith("execute_tool") for s in sink.spans()):
                assert time.monotonic() < deadline, "the new turn was not exported"
                time.sleep(0.1)
        sessions_sent = {s.attr()["openclaw.session.id"] for s in sink.spans()}
    assert sessions_sent == {"new-session"}  # history stays for `clawscope otlp export --since`
    names = {
        m.name for rm in sink.metrics[-1].resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }
    assert "clawscope.model_calls" in names
