"""The outbox: each delivery claimed by one process, nothing lost when a process is killed between
claiming and sending (the resend carries the same id), and two real server processes on PostgreSQL
deliver each alert once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clawscope.alerts.deliver import LEASE_MS, Deliverer
from clawscope.alerts.evaluate import send_test
from clawscope.alerts.manage import add_rule, history
from clawscope.store import Store
from clawscope.timeutil import now_ms
from tests.support.alerts import MIN_MS, T0, Clock, Transcripts
from tests.support.env import ROOT
from tests.support.receivers import HttpReceiver
from tests.support.serve import Serve

# A delivery process that dies (SIGKILL) right after claiming, before sending.
_CRASH = """
import os, signal, sys
from clawscope.alerts.deliver import Deliverer
from clawscope.store import Store
url, now, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = Store(url, clock=lambda: now)
d = Deliverer(store, worker="doomed")
def die(claim):
    open(out, "w").write(claim.delivery_id)
    os.kill(os.getpid(), signal.SIGKILL)
d.before_send = die
d.run_once()
"""


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as r:
        yield r


def hook_rule(store: Store, url: str, rule_id: str = "r1", **extra: object) -> None:
    add_rule(
        store,
        {
            "id": rule_id, "name": rule_id, "measure": "cost", "threshold": 1, "window": "1h",
            "channels": [{"kind": "webhook", "url": url, "secret": "s", "id": f"{rule_id}-hook"}], **extra,
        },
    )  # fmt: skip


def test_kill_9_between_claim_and_send_loses_nothing(
    db_url: str, tmp_path: Path, receiver: HttpReceiver
) -> None:
    clock = Clock(T0)
    with Store(db_url, clock=clock) as store:
        hook_rule(store, receiver.url + "/h")
        alert = send_test(store, "r1")
        assert alert is not None
        out = tmp_path / "claimed"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        child = subprocess.run(
            [sys.executable, "-c", _CRASH, db_url, str(T0), str(out)],
            env=env,
            capture_output=True,
            check=False,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
        claimed_id = out.read_text()
        assert receiver.requests == []
        assert store.alert_outbox.counts() == {"pending": 1}
        with Deliverer(store, worker="survivor") as d:
            clock.now = T0 + LEASE_MS - 1
            assert d.drain() == 0  # the dead process's lease still holds the row
            clock.now = T0 + LEASE_MS
            assert d.drain() == 1
        (req,) = receiver.requests
        assert req.headers["webhook-id"] == claimed_id
        assert store.alert_outbox.counts() == {"sent": 1}
        (h,) = history(store)
        (delivery,) = h["deliveries"]
        assert [(a["attempt"], a["ok"]) for a in delivery["attempts"]] == [(2, True)]


def test_concurrent_deliverers_claim_each_row_once(db_url: str, receiver: HttpReceiver) -> None:
    with Store(db_url, clock=Clock(T0)) as store:
        hook_rule(store, receiver.url + "/h")
        for _ in range(40):
            send_test(store, "r1")
        workers = [Deliverer(store, worker=f"w{i}") for i in range(3)]
        threads = [threading.Thread(target=w.drain, kwargs={"limit": 3}) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for w in workers:
            w.close()
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert len(ids) == 40
        assert len(set(ids)) == 40
        assert store.alert_outbox.counts() == {"sent": 40}


@pytest.mark.postgres
@pytest.mark.slow
def test_two_server_processes_on_postgres_deliver_each_alert_once(
    pg_url: str, tmp_path: Path, receiver: HttpReceiver
) -> None:
    tx = Transcripts(tmp_path / "state")
    at = now_ms() - MIN_MS  # data relative to the servers' clock, whatever the date
    key = {"CLAWSCOPE_SECRETS_KEY": "k" * 44}  # the channel secrets' key, shared by every process
    with Store(pg_url, secrets_key=key["CLAWSCOPE_SECRETS_KEY"]) as store:
        for i in range(5):
            tx.call(f"s{i}", at, 2.0)
            hook_rule(store, receiver.url + f"/r{i}", f"r{i}", measure="session_cost", scope={})
        tx.ingest(store)
        first = Serve(tmp_path / "a", pg_url, "--no-live", "--alerts-interval", "0.2", extra_env=key)
        second = Serve(tmp_path / "b", pg_url, "--no-live", "--alerts-interval", "0.2", extra_env=key)
        with first, second:
            receiver.wait(25, timeout_s=60)  # 5 rules × 5 sessions
            deadline = time.monotonic() + 60
            while store.alert_outbox.counts() != {"sent": 25} and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)  # both processes evaluate several more times meanwhile
        assert store.alert_outbox.counts() == {"sent": 25}
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert len(ids) == 25
        assert len(set(ids)) == 25
        workers = {
            a["worker"]
            for d in store.alert_outbox.deliveries([h.alert_id for h in store.alert_outbox.history()])
            for a in d["tries"]
        }
        assert workers  # recorded who sent what


def test_an_unexpected_error_fails_the_delivery_for_good_instead_of_stalling_it(
    db_url: str, receiver: HttpReceiver
) -> None:
    with Store(db_url, clock=Clock(T0)) as store:
        hook_rule(store, receiver.url + "/h")
        send_test(store, "r1")
        d = Deliverer(store, worker="w")

        def boom(claim: object) -> None:
            raise UnicodeEncodeError("ascii", "é", 0, 1, "a header value that cannot be encoded")

        d.before_send = boom
        assert d.run_once() == 1
        assert d.run_once() == 0  # finished, not left claimed for the next lease
        d.close()
        assert receiver.requests == []
        assert store.alert_outbox.counts() == {"failed": 1}


def test_a_secret_that_cannot_be_opened_is_never_sent_unsigned(db_url: str, receiver: HttpReceiver) -> None:
    from sqlalchemy import text

    with Store(db_url, clock=Clock(T0)) as store:
        hook_rule(store, receiver.url + "/h")
        with store.engine.begin() as conn:  # sealed under some other database's key
            conn.execute(text("UPDATE alert_channels SET secret_enc = 'gAAAAABnot-a-token'"))
        send_test(store, "r1")
        with Deliverer(store, worker="w") as d:
            d.drain()
        assert receiver.requests == []
        assert store.alert_outbox.counts() == {"failed": 1}
