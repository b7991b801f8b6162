"""A real audit directory for the web tests: the PEAC vectors' three events captured one spool per
session with the vectors' test key, emitted, and two signed log checkpoints (sizes 4 and 6)."""

from __future__ import annotations

from pathlib import Path

from clawscope.audit.canonical import loads
from clawscope.audit.events import AdapterConfig
from clawscope.audit.jws import load_signing_key
from clawscope.audit.receipts import Issuer
from clawscope.audit.recorder import Recorder
from tests.support.vectors import NOW_MS, VECTORS

R1 = "r_889b8a680561cdcdb0f1e42692888168"
ALICE = "agent:main:direct:alice"
JWKS = VECTORS / "keys" / "jwks.json"


def build_audit_dir(root: Path) -> str:
    """Fill `root`; returns the checkpoint note signed after the first two events (size 4)."""
    key = load_signing_key(VECTORS / "keys" / "signing-key.TEST-ONLY.jwk")
    config = AdapterConfig.from_json(loads((VECTORS / "inputs" / "adapter-config.json").read_bytes()))
    events = loads((VECTORS / "inputs" / "events.json").read_bytes())
    recorder = Recorder(
        root,
        Issuer(key, config.issuer, config.audience),
        config,
        clock_ms=lambda: NOW_MS,
        per_workflow=True,
        background=False,
        durable=False,
    )
    assert all(r.ok for r in recorder.capture_all(events[:2]))
    recorder.flush()
    old = (recorder.layout.log / "checkpoint.note").read_text()
    assert recorder.capture(events[2]).ok
    recorder.close()
    return old
