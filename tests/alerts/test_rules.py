"""Rule input is checked before it is stored: every mistake is a `UsageError` naming it."""

from __future__ import annotations

import pytest

from clawscope.alerts.rules import Rule, from_store, parse_rule, to_store
from clawscope.errors import UsageError
from clawscope.store import StoredChannel, StoredRule

OK = {"name": "n", "measure": "cost", "threshold": 1.0}


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({**OK, "measure": "vibes"}, "unknown measure 'vibes'"),
        ({**OK, "threshold": -1}, "threshold must not be negative"),
        ({**OK, "threshold": None}, "needs a threshold"),
        ({**OK, "measure": "error_rate", "threshold": 5}, "fraction between 0 and 1"),
        ({**OK, "window": "fortnight"}, "window 'fortnight'"),
        ({**OK, "type": "psychic"}, "unknown rule type 'psychic'"),
        ({**OK, "severity": "meh"}, "unknown severity 'meh'"),
        ({**OK, "scope": {"planet": "mars"}}, "unknown scope planet"),
        ({**OK, "scope": {"model": "a", "trigger": "cron"}}, "at most one of"),
        ({**OK, "bogus": 1}, "invalid rule"),
        ({**OK, "channels": [{"kind": "webhook", "url": "not a url"}]}, "malformed webhook URL"),
        ({**OK, "channels": [{"kind": "slack", "url": "ftp://x/y"}]}, "malformed slack URL"),
        ({**OK, "channels": [{"kind": "pager", "url": "http://x"}]}, "unknown channel kind 'pager'"),
        ({**OK, "channels": [{"kind": "ntfy", "url": "http://no-such-host.invalid/t"}]}, "unreachable host"),
        ({**OK, "channels": [{"kind": "email", "url": "smtp://127.0.0.1:25"}]}, "needs options.to"),
        ({**OK, "channels": [{"kind": "telegram", "url": "http://127.0.0.1"}]}, "bot token"),
        ({"name": "b", "type": "budget", "amount": 0}, "positive amount"),
        ({"name": "b", "type": "budget", "amount": 5, "period": "year"}, "unknown budget period"),
        ({"name": "a", "type": "anomaly", "measure": "tokens"}, "unknown measure 'tokens'"),
        ({"name": "a", "type": "anomaly", "measure": "cost", "scope": {"model": "x"}}, "scoped by agent"),
        ({"name": "f", "type": "finding", "families": ["gremlins"]}, "unknown finding families"),
        ({"name": "", "measure": "cost", "threshold": 1}, "needs a name"),
        (
            {**OK, "channels": [{"kind": "ntfy", "url": "http://127.0.0.1/t", "id": "x"}] * 2},
            "two channels of the rule have the same id",
        ),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(raw: dict[str, object], says: str) -> None:
    with pytest.raises(UsageError, match=says.replace("(", r"\(").replace("'", ".")):
        parse_rule(raw)


def test_bad_json_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid rule JSON"):
        parse_rule(b"{not json")


def test_a_rule_round_trips_through_the_store_without_its_secrets() -> None:
    rule = parse_rule(
        {**OK, "channels": [{"kind": "webhook", "url": "http://127.0.0.1:1/h", "secret": "s", "id": "c1"}]}
    )
    assert rule.id  # one is made when none is given
    spec, chans = to_store(rule)
    assert "channels" not in spec or spec["channels"] == []
    assert chans[0].secret == "s"
    stored = StoredRule(
        rule.id, rule.name, rule.type, spec, True, 0, 0,
        (StoredChannel("c1", rule.id, "webhook", "http://127.0.0.1:1/h", True, {}),),
    )  # fmt: skip
    back = from_store(stored)
    assert isinstance(back, Rule)
    assert back.channels[0].secret is None
    assert back.threshold == 1.0


def test_an_edit_without_the_secret_keeps_it_and_ids_stay_stable(sqlite_url: str) -> None:
    from clawscope.store import ChannelInput, Store

    hook = "http://127.0.0.1:1/h"
    with Store(sqlite_url) as store:
        store.alert_rules.put("r", "n", "threshold", {}, True, [ChannelInput("webhook", hook, "s3cret")])
        (first,) = store.alert_rules.get("r").channels  # type: ignore[union-attr]
        # what a GET-then-PUT edit sends: the channel as listed, without its (never listed) secret
        store.alert_rules.put("r", "renamed", "threshold", {}, True, [ChannelInput("webhook", hook, None)])
        (again,) = store.alert_rules.get("r").channels  # type: ignore[union-attr]
        assert again.channel_id == first.channel_id  # an id made from the rule, position, kind and URL
        assert store.alert_rules.channel_secret(again.channel_id) == "s3cret"
        with pytest.raises(UsageError, match="belongs to another rule"):
            store.alert_rules.put(
                "other",
                "o",
                "threshold",
                {},
                True,
                [ChannelInput("webhook", hook, None, {}, first.channel_id)],
            )
        assert store.alert_rules.get("other") is None
