"""The SSE stream publishes an `alert` event for each alert a rule raises (once, by the process that
made it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clawscope.alerts.evaluate import Evaluator
from clawscope.alerts.manage import add_rule
from clawscope.store import Store
from clawscope.timeutil import now_ms
from tests.support.alerts import MIN_MS, Transcripts
from tests.support.server import LiveServer, auth
from tests.support.sse import SseReader


def test_alert_events_on_the_stream(
    live_server: LiveServer, store: Store, make_key: Callable[..., str], tmp_path: Path
) -> None:
    tx = Transcripts(tmp_path / "state")
    tx.call("s1", now_ms() - MIN_MS, 3.0)
    tx.ingest(store)
    add_rule(store, {"id": "big", "name": "big", "measure": "session_cost", "threshold": 1, "window": "1h"})
    with SseReader(live_server.url + "/api/v1/openclaw/stream", auth(make_key("stats:read"))) as sse:
        fired = Evaluator(store).run().fired
        assert len(fired) == 1
        got = [e for e in sse.take(1) + sse.quiet(0.5) if e.event == "alert"]
    assert len(got) == 1
    assert got[0].data["type"] == "alert"
    assert got[0].data["data"]["alertId"] == fired[0].alert_id
    assert got[0].data["data"]["scope"] == "session=s1"
    assert got[0].data["data"]["kind"] == "firing"
