"""Every channel end to end against a real receiver on loopback: payload shapes, the Standard Webhooks
signature, mail over STARTTLS (aiosmtpd), the real Alertmanager; retries with backoff and every attempt
recorded; a failing channel holds up no other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clawscope import webhooks
from clawscope.alerts.deliver import Deliverer
from clawscope.alerts.manage import add_rule, history, send_test_notice
from clawscope.retry import RetryPolicy
from clawscope.store import Store
from tests.support.alerts import Clock
from tests.support.receivers import Alertmanager, HttpReceiver, smtp_server

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHM="  # base64 of "secret-key-for-tests"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cstore(sqlite_url: str, clock: Clock) -> Iterator[Store]:
    with Store(sqlite_url, clock=clock) as s:
        yield s


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as r:
        yield r


def rule_with(store: Store, *channels: dict[str, object]) -> str:
    rule = add_rule(
        store, {"id": "r1", "name": "spend", "measure": "cost", "threshold": 1, "channels": list(channels)}
    )
    return str(rule["id"])


def test_signed_webhook(cstore: Store, receiver: HttpReceiver) -> None:
    rule_with(cstore, {"kind": "webhook", "url": receiver.url + "/hook", "secret": SECRET, "id": "wh"})
    with Deliverer(cstore) as deliverer:
        found = send_test_notice(cstore, "r1", deliverer)
    (req,) = receiver.requests
    assert req.path == "/hook"
    msg_id, stamp, sig = (
        req.headers["webhook-id"],
        req.headers["webhook-timestamp"],
        req.headers["webhook-signature"],
    )
    assert msg_id == found["deliveries"][0]["deliveryId"]
    assert sig.startswith("v1,")
    assert webhooks.standard_verify(SECRET, msg_id, stamp, req.body, sig)
    assert not webhooks.standard_verify("whsec_b3RoZXI=", msg_id, stamp, req.body, sig)
    body = json.loads(req.body)
    assert body["type"] == "alert.test"
    assert body["data"]["ruleId"] == "r1"
    assert found["deliveries"][0]["status"] == "sent"
    assert found["deliveries"][0]["attempts"][0]["statusCode"] == 200


def test_chat_channels_payload_shapes(cstore: Store, receiver: HttpReceiver) -> None:
    rule_with(
        cstore,
        {"kind": "slack", "url": receiver.url + "/services/T/B/X", "id": "sl"},
        {"kind": "discord", "url": receiver.url + "/api/webhooks/1/tok", "id": "dc"},
        {
            "kind": "telegram",
            "url": receiver.url,
            "secret": "123:ABC",
            "options": {"chat_id": "42"},
            "id": "tg",
        },
        {"kind": "ntfy", "url": receiver.url + "/alerts-topic", "secret": "tk_1", "id": "nt"},
    )
    with Deliverer(cstore) as deliverer:
        found = send_test_notice(cstore, "r1", deliverer)
    assert sorted(d["status"] for d in found["deliveries"]) == ["sent"] * 4
    by_path = {r.path: r for r in receiver.requests}
    slack = json.loads(by_path["/services/T/B/X"].body)
    assert set(slack) == {"text"}
    assert "[TEST] spend" in slack["text"]
    discord = json.loads(by_path["/api/webhooks/1/tok"].body)
    assert discord["content"] == "[TEST] spend"
    assert discord["embeds"][0]["title"] == "[TEST] spend"
    assert isinstance(discord["embeds"][0]["color"], int)
    telegram = json.loads(by_path["/bot123:ABC/sendMessage"].body)
    assert telegram["chat_id"] == "42"
    assert telegram["text"].startswith("[TEST] spend\n")
    ntfy = by_path["/alerts-topic"]
    assert ntfy.body.decode().startswith("test notice from clawscope")
    assert ntfy.headers["title"] == "[TEST] spend"
    assert ntfy.headers["priority"] == "4"
    assert ntfy.headers["authorization"] == "Bearer tk_1"


def test_email_over_starttls(cstore: Store, tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (port, ca, received):
        rule_with(
            cstore,
            {
                "kind": "email", "url": f"smtp://127.0.0.1:{port}", "id": "em",
                "options": {"to": "ops@example.org", "from": "clawscope@example.org", "ca_file": str(ca)},
            },
        )  # fmt: skip
        with Deliverer(cstore) as deliverer:
            found = send_test_notice(cstore, "r1", deliverer)
    assert found["deliveries"][0]["status"] == "sent"
    (mail,) = received
    assert mail["To"] == "ops@example.org"
    assert mail["Subject"] == "[TEST] spend"
    assert mail["Message-ID"] == f"<{found['deliveries'][0]['deliveryId']}@clawscope>"
    assert "test notice from clawscope" in mail.get_payload()


def test_email_refuses_a_server_without_starttls(cstore: Store, receiver: HttpReceiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]  # an HTTP server: no SMTP, no STARTTLS
    rule_with(
        cstore, {"kind": "email", "url": f"smtp://127.0.0.1:{port}", "id": "em", "options": {"to": "a@b.c"}}
    )
    with Deliverer(cstore, timeout_s=2) as deliverer:
        found = send_test_notice(cstore, "r1", deliverer)
    attempt = found["deliveries"][0]["attempts"][0]
    assert not attempt["ok"]
    assert attempt["error"]


def test_the_real_alertmanager_shows_the_alert(sqlite_url: str, tmp_path: Path) -> None:
    # on the wall clock: Alertmanager compares the alert's startsAt/endsAt with its own
    with Alertmanager(tmp_path) as am, Store(sqlite_url) as store:
        rule_with(store, {"kind": "alertmanager", "url": am.url, "id": "am"})
        with Deliverer(store) as deliverer:
            found = send_test_notice(store, "r1", deliverer)
        assert found["deliveries"][0]["status"] == "sent"
        shown = am.alerts()
    assert [a["labels"]["alertname"] for a in shown] == ["spend"]
    assert shown[0]["labels"]["source"] == "clawscope"
    assert shown[0]["annotations"]["summary"].startswith("test notice from clawscope")


def test_retries_back_off_record_every_attempt_and_never_block_other_channels(
    cstore: Store, clock: Clock, receiver: HttpReceiver, request: pytest.FixtureRequest
) -> None:
    with HttpReceiver(statuses=[503, 503]) as flaky:
        rule_with(
            cstore,
            {"kind": "slack", "url": flaky.url + "/flaky", "id": "flaky"},
            {"kind": "slack", "url": "http://127.0.0.1:9/refused", "id": "dead"},
            {"kind": "slack", "url": receiver.url + "/good", "id": "good"},
        )
        policy = RetryPolicy(attempts=3, backoff_s=10.0, max_delay_s=60.0)
        deliverer = Deliverer(cstore, policy=policy, timeout_s=2)
        request.addfinalizer(deliverer.close)
        send_test_notice(cstore, "r1", deliverer)
        assert [r.path for r in receiver.requests] == ["/good"]  # the good channel did not wait
        assert deliverer.drain() == 0  # nothing due before the backoff
        clock.now += 10_000
        assert deliverer.drain() == 2  # flaky (503 again) and dead, once more each
        clock.now += 20_000
        assert deliverer.drain() == 2  # third and last attempts
        clock.now += 3_600_000
        assert deliverer.drain() == 0
    (h,) = history(cstore)
    by_channel = {d["channelId"]: d for d in h["deliveries"]}
    assert by_channel["good"]["status"] == "sent"
    assert by_channel["flaky"]["status"] == "sent"
    assert [a["statusCode"] for a in by_channel["flaky"]["attempts"]] == [503, 503, 200]
    assert by_channel["dead"]["status"] == "failed"
    assert len(by_channel["dead"]["attempts"]) == 3
    assert all("ConnectError" in (a["error"] or "") for a in by_channel["dead"]["attempts"])
    assert all(a["latencyMs"] >= 0 for d in by_channel.values() for a in d["attempts"])


def test_a_client_error_is_not_retried(cstore: Store) -> None:
    with HttpReceiver(statuses=[404]) as gone:
        rule_with(cstore, {"kind": "discord", "url": gone.url + "/wrong", "id": "dc"})
        with Deliverer(cstore) as deliverer:
            found = send_test_notice(cstore, "r1", deliverer)
    assert found["deliveries"][0]["status"] == "failed"
    assert found["deliveries"][0]["attempts"][0]["error"].startswith("HTTP 404")
