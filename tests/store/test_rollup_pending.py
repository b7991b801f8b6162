"""Owed roll-ups (store/rollup_pending.py): webhook sessions written with their analytics roll-ups
deferred read exactly as if rebuilt inline, on both backends, and a kill leaves the marks for the next
reader to settle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text

from clawscope import analytics
from clawscope.ingest.remote import commit, prepare, read_payload
from clawscope.model import Filters
from clawscope.store import Store
from tests.support.remote import session_body

ROOT = Path(__file__).resolve().parents[2]
TABLES = (
    "rollup_calls",
    "rollup_entries",
    "rollup_hourly",
    "rollup_daily",
    "metric_calls",
    "metric_tools",
    "metric_calls_sid",
    "metric_tools_sid",
    # issue 17's query roll-ups (revision 0025), rebuilt by the same settle
    "rollup_hour_totals",
    "rollup_tool_sid",
    "rollup_tool_blocks",
    "rollup_model_sid_days",
    "rollup_model_day_sessions",
    "rollup_prompt_sid",
    "rollup_prompt_daily",
    "rollup_priced_sid",  # the reconciliation's (revision 0026)
    "rollup_priced_daily",
    "rollup_hour_all",  # the per-hour sums (revision 0028)
)


def _bodies(instance_id: str, n: int) -> list[bytes]:
    """`n` sessions over several hours and days, and a second push of one of them with a new turn."""
    out = []
    for i in range(n):
        body = session_body(instance_id, session_id=f"s-{i:03d}", text=f"t{i}", n=2 + i % 3)
        out.append(body.replace(b"2026-11-01T10:", f"2026-11-0{1 + i % 3}T{10 + i % 4}:".encode()))
    out.append(session_body(instance_id, session_id="s-000", text="t0", n=4))  # grows s-000
    return out


def _register(store: Store, name: str = "inst-a") -> tuple[str, str]:
    inst = store.remote.add_instance(name, "http://127.0.0.1:18789", None)
    store.remote.add_agent(inst.instance_id, "main", "Main", None)
    return inst.instance_id, inst.name


def _write(store: Store, bodies: list[bytes], name: str, *, defer: bool, group: int = 3) -> None:
    for i in range(0, len(bodies), group):
        items = [prepare(store, read_payload(b), name, trace_only=False) for b in bodies[i : i + group]]
        commit(store, items, estimate=False, defer_rollups=defer)


def _owed(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM rollup_pending")).scalar_one())


def _tables(store: Store) -> dict[str, list[tuple[str, ...]]]:
    with store.engine.connect() as conn:
        return {
            t: sorted(tuple(str(v) for v in r) for r in conn.execute(text(f"SELECT * FROM {t}")))
            for t in TABLES
        }


def _numbers(store: Store) -> dict[str, Any]:
    """What the stats, their groupings, the series and the metrics say (each read settles first)."""
    out: dict[str, Any] = {"totals": analytics.stats(store, Filters())["totals"]}
    for dim in ("model", "day", "tool", "agent"):
        out[dim] = analytics.stats(store, Filters(), dim)["groups"]
    key = lambda r: tuple(str(v) for v in r.values())  # noqa: E731
    out["metric_calls"] = sorted(store.metrics.calls(), key=key)
    out["metric_tools"] = sorted(store.metrics.tools(), key=key)
    return out


def _inline(store: Store, name: str, bodies: list[bytes]) -> dict[str, Any]:
    _write(store, bodies, name, defer=False)
    assert _owed(store) == 0
    return _numbers(store)


def test_numbers_read_right_after_a_burst_are_exact(store: Store, db_url: str) -> None:
    instance_id, name = _register(store)
    bodies = _bodies(instance_id, 10)
    _write(store, bodies, name, defer=True)
    assert _owed(store) == 10  # nothing rebuilt yet: what follows is the readers' settle
    got = _numbers(store)
    assert _owed(store) == 0
    calls = sum(2 + i % 3 for i in range(10)) + 2  # s-000 grew from 2 turns to 4
    assert (got["totals"]["sessions"], got["totals"]["llmCalls"]) == (10, calls)
    tables = _tables(store)
    # from scratch: every session's roll-ups rebuilt from its rows, the metrics' label sets too
    ids = [f"s-{i:03d}" for i in range(10)]
    store.refresh(ids)
    store.metrics.rebuild()
    assert _tables(store) == tables
    assert _numbers(store) == got


def test_deferred_and_inline_writes_read_the_same(store: Store, tmp_path: Path) -> None:
    instance_id, name = _register(store)
    bodies = _bodies(instance_id, 8)
    _write(store, bodies, name, defer=True)
    got = _numbers(store)
    with Store(f"sqlite:///{tmp_path / 'inline.db'}") as other:
        _register(other)  # the same instance name, in a database of its own
        want = _inline(other, name, bodies)
    assert got == want


def test_every_reader_settles(store: Store) -> None:
    instance_id, name = _register(store)
    _write(store, _bodies(instance_id, 3), name, defer=True)
    assert _owed(store) == 3
    store.sessions.active(Filters())  # a session list (its dominant model comes from the roll-ups)
    assert _owed(store) == 0
    _write(store, [session_body(instance_id, session_id="s-x", n=2)], name, defer=True)
    assert _owed(store) == 1
    assert store.metrics.calls()
    assert _owed(store) == 0
    # the tool histograms and the prompt sizes are roll-ups too: their readers settle as well
    for n, read in enumerate(
        (lambda: store.tools.summary(Filters()), lambda: store.context.prompt_sizes(Filters()))
    ):
        _write(store, [session_body(instance_id, session_id=f"s-y{n}", n=2)], name, defer=True)
        assert _owed(store) == 1
        read()
        assert _owed(store) == 0
    assert store.settle() == 0  # nothing owed: nothing done


def _child(url: str, fault: str | None, *, settle: bool) -> int:
    code = f"""
import os, signal
from clawscope.store import Store
from tests.store.test_rollup_pending import _bodies, _register, _write
with Store({url!r}) as store:
    instance_id, name = _register(store)
    _write(store, _bodies(instance_id, 6), name, defer=True)
    if {settle!r}:
        store.settle()
    os.kill(os.getpid(), signal.SIGKILL)
"""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    env.pop("CLAWSCOPE_FAULT", None)
    if fault:
        env["CLAWSCOPE_FAULT"] = fault
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=False)
    assert "Traceback" not in proc.stderr.decode(), proc.stderr.decode()
    return proc.returncode


def test_owed_roll_ups_survive_a_kill_and_the_next_reader_settles(db_url: str) -> None:
    assert _child(db_url, None, settle=False) == -signal.SIGKILL  # killed after commits, before a settle
    _check_settled_after_kill(db_url)


def test_a_kill_in_the_middle_of_a_settle_keeps_the_marks(db_url: str) -> None:
    assert _child(db_url, "mid-settle:1", settle=True) == -signal.SIGKILL
    _check_settled_after_kill(db_url)  # the settle rolled back: every mark is still there


def _check_settled_after_kill(url: str) -> None:
    with Store(url) as store:
        assert _owed(store) == 6  # six sessions (s-000 pushed twice, marked once)
        got = _numbers(store)
        assert _owed(store) == 0
        tables = _tables(store)
        store.refresh([f"s-{i:03d}" for i in range(6)])
        store.metrics.rebuild()
        assert _tables(store) == tables
        assert _numbers(store) == got and got["totals"]["sessions"] == 6
