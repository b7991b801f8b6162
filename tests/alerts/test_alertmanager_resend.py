"""A firing alert is re-sent to the real Alertmanager once per resend interval, each time moving its
`endsAt` ahead, so Alertmanager keeps it active while it fires (it ends alerts not re-sent in time).

The clock is injected but starts at the wall clock: Alertmanager compares startsAt/endsAt with its own.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from clawscope.alerts.deliver import Deliverer
from clawscope.alerts.evaluate import Evaluator
from clawscope.alerts.manage import add_rule, history
from clawscope.store import Store
from tests.support.alerts import MIN_MS, Clock, Transcripts
from tests.support.receivers import Alertmanager


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def test_a_firing_alert_is_re_sent_with_a_later_ends_at(sqlite_url: str, tmp_path: Path) -> None:
    clock = Clock(int(time.time() * 1000))
    t0 = clock.now
    tx = Transcripts(tmp_path / "state")
    tx.call("s1", t0 - MIN_MS, 2.0)
    with Alertmanager(tmp_path) as am, Store(sqlite_url, clock=clock) as store:
        tx.ingest(store)
        am_channel = {"kind": "alertmanager", "url": am.url, "id": "am", "options": {"resend_s": 60}}
        add_rule(
            store, {"id": "r1", "name": "spend", "measure": "cost", "threshold": 1, "channels": [am_channel]}
        )
        ev = Evaluator(store, clock=clock)
        with Deliverer(store) as deliverer:
            assert [a.kind for a in ev.run().fired] == ["firing"]
            assert deliverer.drain() == 1
            (first,) = am.alerts()
            assert _ms(first["endsAt"]) == t0 + 4 * 60_000  # four resend intervals ahead
            starts = _ms(first["startsAt"])

            clock.now = t0 + 30_000  # within the first interval: nothing re-sent
            ev.run()
            assert deliverer.drain() == 0

            clock.now = t0 + 61_000  # the first interval passed: one re-send
            ev.run()
            ev.run()  # a second evaluation in the same interval sends nothing more
            assert deliverer.drain() == 1
            (again,) = am.alerts()
            assert _ms(again["endsAt"]) == t0 + 61_000 + 4 * 60_000
            assert _ms(again["startsAt"]) == starts  # the same alert, still firing since it began
            assert again["labels"] == first["labels"]
            assert again["status"]["state"] == "active"

            clock.now = t0 + 185_000  # two intervals later (third since firing): one more, not two
            ev.run()
            assert deliverer.drain() == 1
            (third,) = am.alerts()
            assert _ms(third["endsAt"]) == t0 + 185_000 + 4 * 60_000

    shown = history(store)
    assert [h["kind"] for h in shown] == ["firing"]  # re-sends are deliveries, not new alerts
    refreshes = store.alert_outbox.history(refreshes=True)
    assert sorted(a.alert_id for a in refreshes if a.kind == "refresh") == sorted(
        f"{shown[0]['alertId']}-rs{n}" for n in (1, 3)
    )


def test_a_silenced_or_resolved_alert_is_not_re_sent(sqlite_url: str, tmp_path: Path) -> None:
    clock = Clock(int(time.time() * 1000))
    t0 = clock.now
    tx = Transcripts(tmp_path / "state")
    tx.call("s1", t0 - MIN_MS, 2.0)
    with Store(sqlite_url, clock=clock) as store:
        tx.ingest(store)
        am_channel = {"kind": "alertmanager", "url": "http://127.0.0.1:9", "id": "am"}
        add_rule(
            store,
            {
                "id": "r1",
                "name": "spend",
                "measure": "cost",
                "threshold": 1,
                "window": "1h",
                "channels": [am_channel],
            },
            check_hosts=False,
        )
        ev = Evaluator(store, clock=clock)
        (fired,) = ev.run().fired
        store.alert_rules.silence("r1", None, t0 + 10 * MIN_MS, "maintenance")
        clock.now = t0 + 2 * MIN_MS  # silenced: not re-sent
        ev.run()
        clock.now = t0 + 11 * MIN_MS  # the silence ended and it still fires: re-sent
        ev.run()
        clock.now = t0 + 60 * MIN_MS  # the call left the 1 h window: resolved, and not re-sent
        assert [a.kind for a in ev.run().resolved] == ["resolved"]
        refreshes = [a.alert_id for a in store.alert_outbox.history(refreshes=True) if a.kind == "refresh"]
    assert refreshes == [f"{fired.alert_id}-rs11"]
