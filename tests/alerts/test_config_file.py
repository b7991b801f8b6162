"""`alerts.toml`: rules loaded by id (loading again replaces them), and a mistake refuses the whole file
with a message naming the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawscope.alerts.config_file import load_rules
from clawscope.errors import UsageError
from clawscope.store import Store

GOOD = """
[[rule]]
id = "daily-spend"
name = "Daily spend over $20"
measure = "cost"
window = "day"
threshold = 20

[[rule.channels]]
kind = "ntfy"
url = "https://ntfy.example.org/clawscope"

[[rule]]
id = "month"
name = "Monthly budget"
type = "budget"
amount = 300
"""


def test_rules_load_by_id(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(GOOD)
    with Store(sqlite_url) as store:
        assert load_rules(store, path) == ["daily-spend", "month"]
        path.write_text(GOOD.replace("threshold = 20", "threshold = 25"))
        load_rules(store, path)
        rules = {r.rule_id: r for r in store.alert_rules.all()}
    assert set(rules) == {"daily-spend", "month"}
    assert rules["daily-spend"].spec["threshold"] == 25
    assert rules["daily-spend"].channels[0].url == "https://ntfy.example.org/clawscope"
    assert rules["month"].spec["amount"] == 300


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            GOOD.replace('measure = "cost"', 'measure = "vibes"'),
            "rule 'daily-spend': unknown measure 'vibes'",
        ),
        (GOOD.replace('id = "month"\n', ""), "rule 2 needs an id"),
        ("[[rule]\n", "not valid TOML"),
        ("[rules]\nx = 1\n", "expected only [[rule]] tables"),
        ("rule = [1]\n", "rule 1 must be a [[rule]] table, not int"),
    ],
)
def test_a_mistake_refuses_the_file(sqlite_url: str, tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    with Store(sqlite_url) as store:
        with pytest.raises(UsageError) as err:
            load_rules(store, path)
        assert store.alert_rules.all() == []
    assert says in str(err.value)
