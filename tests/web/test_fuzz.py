"""Schemathesis fuzzing of the OpenAPI spec: every operation, with an admin key, on SQLite and on
PostgreSQL, over a store ingested from the real samples and a real audit directory, so responses are
not trivially empty. No 5xx, responses match their declared schemas, status codes and content types.

Examples are bounded (and derandomized, so a run is reproducible) to keep each backend well under
two minutes on a shared CI machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support.auditdir import JWKS, build_audit_dir
from tests.support.env import FIXTURES
from tests.support.server import auth

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
SAMPLES = [FIXTURES / "openclaw-2026.3.24-jsonl", FIXTURES / "openclaw-2026.9.6-sqlite"]
EXAMPLES = 20


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    build_audit_dir(tmp_path / "audit")
    return replace(settings, audit_dir=str(tmp_path / "audit"), receipt_key=str(JWKS))


@pytest.fixture
def store(store: Store) -> Store:
    ingest(store, SAMPLES, instance="test", estimate=False)
    return store


@pytest.fixture
def admin(make_key: Callable[..., str]) -> dict[str, str]:
    return auth(make_key("admin", rate_limit=1_000_000))


def hypothesis_test(
    operation: Any, mode: GenerationMode, headers: dict[str, str], seen: set[int]
) -> Callable[[], None]:
    """A bounded, reproducible hypothesis test of one operation; `seen` collects its statuses."""

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def run(case: Any) -> None:
        seen.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    return run


def fuzz(schema: Any, mode: GenerationMode, headers: dict[str, str], seen: dict[str, set[int]]) -> list[str]:
    """Run every operation's generated cases; the failures, one line per operation. `seen` collects
    the statuses each operation answered."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            hypothesis_test(operation, mode, headers, seen.setdefault(operation.label, set()))()
        except hypothesis.errors.Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE, operation.label  # nothing invalid to send (no input)
        except (Exception, BaseExceptionGroup) as exc:  # failed checks (a group) or a crash
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_conforms(app: FastAPI, admin: dict[str, str], mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [r.ok().label for r in schema.get_all_operations()]
    assert "POST /api/v1/receipts/verify" in operations and "GET /api/v1/health" in operations
    seen: dict[str, set[int]] = {}
    failures = fuzz(schema, mode, admin, seen)
    assert not failures, "\n\n".join(failures)
    if mode == GenerationMode.POSITIVE:  # the data made real answers, not only errors
        answered = {op for op, statuses in seen.items() if any(200 <= s < 300 for s in statuses)}
        assert {
            "GET /api/v1/health",
            "POST /api/v1/receipts/verify",
            "GET /api/v1/receipts/keys",
            "GET /api/v1/receipts/checkpoint",
        } <= answered, seen


def test_the_spec_documents_real_bodies_and_the_error_envelope(app: FastAPI) -> None:
    spec = app.openapi()
    envelopes = [n for n in spec["components"]["schemas"] if n.endswith("ErrorEnvelope")]
    assert envelopes and all(spec["components"]["schemas"][n]["properties"]["error"] for n in envelopes)
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            label = f"{method.upper()} {path}"
            responses = op["responses"]
            ok = responses[next(s for s in responses if s.startswith("2"))]
            if "application/json" in ok.get("content", {}):
                assert ok["content"]["application/json"]["schema"] != {"type": "string"}, label
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema["$ref"].endswith("ErrorEnvelope"), (label, status)
            if "security" in op:  # bearer-authenticated
                assert {"401", "403", "429"} <= set(responses), label
            assert "422" in responses, label
    assert "security" not in spec["paths"]["/api/v1/health"]["get"]
    assert "security" in spec["paths"]["/api/v1/receipts/checkpoint"]["get"]
