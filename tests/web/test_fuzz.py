"""Schemathesis fuzzing of the OpenAPI spec: every operation, with an admin key, on SQLite and on
PostgreSQL, over a store ingested from the real samples and a real audit directory, so responses are
not trivially empty. No 5xx, responses match their declared schemas, status codes and content types;
and (the strict pass) the spec and the validation agree on what is accepted.

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
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
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
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    seen: set[int],
    checks: list[Any] | None = None,
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
        seen.add(case.call_and_validate(headers=headers, checks=checks or CHECKS).status_code)

    return run


def fuzz(
    schema: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    seen: dict[str, set[int]],
    checks: list[Any] | None = None,
) -> list[str]:
    """Run every operation's generated cases; the failures, one line per operation. `seen` collects
    the statuses each operation answered."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            hypothesis_test(operation, mode, headers, seen.setdefault(operation.label, set()), checks)()
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


# -- the spec and the validation agree (issue 13, item 17) ---------------------------------------------
# Schema-valid requests are not refused for their form; schema-violating ones (unknown or repeated
# parameters, `0` for a boolean, extra members) are not accepted; every 405, OPTIONS included, carries an
# `Allow` naming every method of its path. A few operations check content no schema can state; for them
# only the refusal of schema-VIOLATING data is checked.

# Refusals of content no schema can state, each with its own code: an ordering of two times, an opaque
# cursor, a key that must be an Ed25519 point, a note that must be signed by the log's key.
SEMANTIC_CODES = {
    "invalid_range",
    "invalid_cursor",
    "E_KEY_INVALID",
    "E_LOG_NOTE_INVALID",
    "E_LOG_NOTE_SIGNATURE",
    "invalid_rule",  # an alert rule's meaning: the fields its type needs, known measures, reachable hosts
}


def positive_data_acceptance_of_form(ctx: Any, response: Any, case: Any) -> bool | None:
    """`positive_data_acceptance`, except for the semantic refusals above (a 422 with one of their codes)."""
    if response.status_code == 422:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code in SEMANTIC_CODES:
            return None
    return positive_data_acceptance(ctx, response, case)


def negative_data_rejection_of_form(ctx: Any, response: Any, case: Any) -> bool | None:
    """`negative_data_rejection`, except for a query value made "invalid" as a one-item array: it is
    sent as that one value, which the server cannot tell from the valid scalar."""
    for value in (case.query or {}).values():
        if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], list | dict):
            return None
    return negative_data_rejection(ctx, response, case)


STRICT = [
    negative_data_rejection_of_form,
    positive_data_acceptance_of_form,
    unsupported_method,
    allow_header_conformance,
]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_spec_and_the_validation_agree(
    app: FastAPI,
    admin: dict[str, str],
    mode: GenerationMode,
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures = fuzz(schema, mode, admin, {}, [*CHECKS, *STRICT])
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/stats", "GET"),
        ("PUT", "/api/v1/stats", "GET"),
        ("OPTIONS", "/api/v1/sessions/abc", "DELETE, GET"),
        ("OPTIONS", "/api/v1/openclaw/agents", "GET, POST"),
        ("OPTIONS", "/api/v1/openclaw/webhook", "POST"),
        ("OPTIONS", "/", "GET"),
    ],
)
def test_options_and_other_unsupported_methods_carry_allow(
    app: FastAPI, method: str, path: str, allow: str
) -> None:
    with TestClient(app) as client:
        r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["Allow"] == allow
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_examples_the_attack_found(app: FastAPI, admin: dict[str, str]) -> None:
    with TestClient(app) as client:
        assert client.get("/api/v1/stats?from=", headers=admin).status_code == 200  # empty = not given
        leap = client.get("/api/v1/stats?from=2024-02-29&to=2024-03-01T10:00Z", headers=admin)
        assert leap.status_code == 200, leap.text
        assert client.get("/api/v1/stats?from=2027-02-29", headers=admin).status_code == 422
        assert client.get("/api/v1/stats?form=7d", headers=admin).json()["error"]["param"] == "form"
        assert client.get("/api/v1/stats?from=7d&from=1d", headers=admin).status_code == 422
        item = {"content": "x.y.z"}
        for bad in ({"items": [item], "allow_unanchored": 0}, {"items": [item], "extra": 1}):
            r = client.post("/api/v1/receipts/verify", json=bad, headers=admin)
            assert r.status_code == 422, (bad, r.text)
        ok = client.post(
            "/api/v1/receipts/verify", json={"items": [item], "allow_unanchored": False}, headers=admin
        )
        assert ok.status_code == 200, ok.text
