"""The `abort_session` rule action outside the gateway (the real gateway is the conformance tier's
test_abort_action.py): off by default, refused where an alert names no session, queued once with the
alert, and a gateway that is unknown or unreachable is a recorded, retried failure, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clawscope.alerts.deliver import Deliverer
from clawscope.alerts.evaluate import Evaluator
from clawscope.alerts.gateway import ABORT, find_gateway
from clawscope.alerts.manage import add_rule, history
from clawscope.alerts.rules import parse_rule
from clawscope.errors import UsageError
from clawscope.retry import RetryPolicy
from clawscope.store import Store
from tests.support.alerts import MIN_MS, T0, Clock, Transcripts


def test_the_action_is_off_by_default_and_only_for_per_session_alerts() -> None:
    assert parse_rule({"name": "r", "measure": "session_cost", "threshold": 1}).abort_session is False
    assert parse_rule({"name": "r", "measure": "session_cost", "threshold": 1, "abort_session": True})
    assert parse_rule({"name": "r", "type": "finding", "abort_session": True}).abort_session
    with pytest.raises(UsageError, match="only for session_cost, session_tokens or finding rules"):
        parse_rule({"name": "r", "measure": "cost", "threshold": 1, "abort_session": True})
    with pytest.raises(UsageError, match="not with digest"):
        parse_rule(
            {"name": "r", "measure": "session_cost", "threshold": 1, "abort_session": True, "digest": True}
        )


def test_local_and_registered_gateways_are_found(sqlite_url: str, tmp_path: Path) -> None:
    state = tmp_path / "openclaw"
    state.mkdir()
    env = {"OPENCLAW_STATE_DIR": str(state)}
    (state / "openclaw.json").write_text(json.dumps({"gateway": {"port": 19999, "auth": {"token": "tok"}}}))
    with Store(sqlite_url) as store:
        local = find_gateway(store, "this-host", env)
        assert (local.url, local.token) == ("ws://127.0.0.1:19999", "tok")
        inst = store.remote.add_instance("gw-1", "https://gw.example:18789", "secret-token")
        found = find_gateway(store, inst.instance_id, env)
        assert (found.url, found.token) == ("wss://gw.example:18789/", "secret-token")
        assert find_gateway(store, "gw-1", env).url == found.url  # by name too


def test_an_unknown_or_unreachable_gateway_is_a_recorded_retried_failure(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-openclaw"
    empty.mkdir()
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(empty))  # no local gateway config
    clock = Clock(T0)
    tx = Transcripts(tmp_path / "state")
    tx.call("s1", T0 - MIN_MS, 2.0)
    (tx.sessions / "sessions.json").write_text(json.dumps({"agent:main:main": {"sessionId": "s1"}}))
    with Store(sqlite_url, clock=clock) as store:
        tx.ingest(store)
        rule = {"id": "r", "name": "stop", "measure": "session_cost", "threshold": 1, "abort_session": True}
        add_rule(store, rule)
        (fired,) = Evaluator(store, clock=clock).run().fired
        policy = RetryPolicy(attempts=3, backoff_s=10.0, max_delay_s=60.0)
        with Deliverer(store, policy=policy, timeout_s=2) as deliverer:
            assert deliverer.drain() == 1
            store.remote.add_instance("test-host", "http://127.0.0.1:9", "tok")  # the session's instance
            clock.now += 10_000
            assert deliverer.drain() == 1  # retried after the backoff: nothing listens there
        (h,) = history(store)
    assert (fired.detail["sessionId"], fired.detail["key"]) == ("s1", "agent:main:main")
    (action,) = h["deliveries"]
    assert action["channelId"] == ABORT
    first, second = action["attempts"]
    assert not first["ok"] and "no gateway known for instance 'test-host'" in first["error"]
    assert not second["ok"] and "cannot reach the gateway at ws://127.0.0.1:9/" in second["error"]
    assert action["status"] == "pending"  # a third attempt is due later
