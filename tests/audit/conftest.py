"""Shared fixtures for the audit tests: the PEAC vectors, their test key, and fresh audit directories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clawscope.audit.canonical import loads
from clawscope.audit.events import AdapterConfig
from clawscope.audit.jws import KeySet, SigningKey, load_signing_key
from clawscope.audit.receipts import Issuer
from clawscope.audit.recorder import Recorder
from tests.support.vectors import NOW_MS, VECTORS


@pytest.fixture(scope="session")
def events() -> list[Any]:
    return loads((VECTORS / "inputs" / "events.json").read_bytes())


@pytest.fixture(scope="session")
def config() -> AdapterConfig:
    return AdapterConfig.from_json(loads((VECTORS / "inputs" / "adapter-config.json").read_bytes()))


@pytest.fixture(scope="session")
def key() -> SigningKey:
    return load_signing_key(VECTORS / "keys" / "signing-key.TEST-ONLY.jwk")


@pytest.fixture(scope="session")
def keys() -> KeySet:
    return KeySet.load(VECTORS / "keys" / "jwks.json")


@pytest.fixture
def recorder_factory(tmp_path: Path, key: SigningKey, config: AdapterConfig) -> Callable[..., Recorder]:
    """Recorders on a frozen clock writing into tmp_path/<name> (default: the vector layout)."""

    def make(name: str = "audit", **options: Any) -> Recorder:
        options.setdefault("background", False)
        options.setdefault("durable", False)
        return Recorder(
            tmp_path / name,
            Issuer(key, config.issuer, config.audience),
            config,
            clock_ms=lambda: NOW_MS,
            **options,
        )

    return make


@pytest.fixture
def captured(recorder_factory: Callable[..., Recorder], events: list[Any]) -> Path:
    """An audit directory holding the three vector events, emitted and sealed."""
    recorder = recorder_factory()
    assert all(r.ok for r in recorder.capture_all(events))
    recorder.close()
    return recorder.layout.root
