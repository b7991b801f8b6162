"""Rules from a file: `alerts.toml` in clawscope's home is loaded when `serve` starts (and by
`clawscope alerts load FILE`). Each `[[rule]]` table is a rule as the API takes it, with an `id`, so
loading again replaces the rule rather than adding a copy:

    [[rule]]
    id = "daily-spend"
    name = "Daily spend over $20"
    measure = "cost"
    window = "day"
    threshold = 20
    [[rule.channels]]
    kind = "ntfy"
    url = "https://ntfy.example.org/clawscope"

A mistake anywhere refuses the whole file with a message naming the rule (nothing half-loaded). Hosts
are not resolved at load (the network may not be up yet when a service starts).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from clawscope.alerts.rules import Rule, parse_rule, to_store
from clawscope.errors import UsageError
from clawscope.store import Store

FILE_NAME = "alerts.toml"


def read_rules(path: Path) -> list[Rule]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    tables: Any = doc.get("rule", [])
    unknown = sorted(set(doc) - {"rule"})
    if unknown or not isinstance(tables, list):
        raise UsageError(f"{path}: expected only [[rule]] tables, found {', '.join(unknown) or 'rule = …'}")
    rules = []
    for i, raw in enumerate(tables, 1):
        if not isinstance(raw, dict):
            raise UsageError(f"{path}: rule {i} must be a [[rule]] table, not {type(raw).__name__}")
        if not raw.get("id"):
            raise UsageError(f"{path}: rule {i} needs an id (loading again replaces it by id)")
        try:
            rules.append(parse_rule(raw, check_hosts=False))
        except UsageError as exc:
            raise UsageError(f"{path}: rule {raw['id']!r}: {exc}") from None
    return rules


def load_rules(store: Store, path: Path) -> list[str]:
    """Check every rule of the file, then store them all; their ids."""
    rules = read_rules(path)
    for rule in rules:
        spec, channels = to_store(rule)
        store.alert_rules.put(rule.id, rule.name, rule.type, spec, rule.enabled, channels)
    return [r.id for r in rules]
