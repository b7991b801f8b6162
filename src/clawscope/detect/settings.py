"""Detector settings from the `detectors` setting (config file section), and their fingerprint.

In the config file (`~/.clawscope/config.toml`), one table per detector id or per family; a detector's
own table wins over its family's, key by key:

    [detectors.loop]                        # every detector of the family
    enabled = true
    [detectors."elevated_risk.risky-command"]
    severity = "warning"                    # info | warning | critical: overrides the detector's own
    allowed_commands = ["sudo apt-get update"]   # any other key is a parameter (threshold, allowlist)
    [detectors."sandbox_escape.outside-workspace"]
    enabled = false

The fingerprint of what a detector would do (id, version, its effective settings) is stored with a
session's findings: when it changes, the session is detected again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import msgspec

from clawscope.detect.base import Detector, DetectorSettings
from clawscope.errors import ConfigError
from clawscope.model.detection import FAMILIES, FindingSeverity

_RESERVED = ("enabled", "severity")


def settings_for(detector: Detector, config: Mapping[str, Any]) -> DetectorSettings:
    """The effective settings of one detector: its defaults, its family's table, its own table."""
    merged: dict[str, Any] = {}
    for name in (detector.family, detector.id):
        table = config.get(name)
        if table is None:
            continue
        if not isinstance(table, Mapping):
            raise ConfigError(f"detectors.{name} must be a table, not {type(table).__name__}")
        merged.update(table)
    enabled = merged.pop("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"detectors: `enabled` of {detector.id} must be true or false")
    severity = merged.pop("severity", None)
    try:
        sev = FindingSeverity(severity) if severity is not None else None
    except ValueError:
        raise ConfigError(
            f"detectors: severity {severity!r} of {detector.id} is not one of info, warning, critical"
        ) from None
    return DetectorSettings(enabled=enabled, severity=sev, params={**detector.defaults, **merged})


def check_config(config: Mapping[str, Any], detectors: Mapping[str, Detector]) -> None:
    """Refuse a table naming no known detector or family (a typo would silently do nothing)."""
    for name in config:
        if name not in detectors and name not in FAMILIES:
            raise ConfigError(f"detectors.{name}: no detector or family has this name")


def all_settings(config: Mapping[str, Any], detectors: Mapping[str, Detector]) -> dict[str, DetectorSettings]:
    check_config(config, detectors)
    return {d.id: settings_for(d, config) for d in detectors.values()}


def fingerprint(detectors: Mapping[str, Detector], settings: Mapping[str, DetectorSettings]) -> str:
    """A short hash of every enabled detector's id, version and effective settings."""
    parts = []
    for det_id in sorted(detectors):
        s = settings.get(det_id) or DetectorSettings(params=dict(detectors[det_id].defaults))
        if s.enabled:
            parts.append([det_id, detectors[det_id].version, s.severity, s.params])
    blob = msgspec.json.encode(parts, order="sorted")
    return hashlib.sha256(blob).hexdigest()[:24]
