"""`clawscope api-key create|list|revoke|rotate`: keys printed once and stored hashed, usable against the
API, revoked and rotated for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text

from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app
from tests.support.cli import invoke


def keys_json(runner: CliRunner, db: str) -> list[dict[str, object]]:
    out, _ = invoke(runner, "api-key", "list", "--db", db, "--json")
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_create_prints_the_key_once_and_stores_it_hashed(runner: CliRunner, db_url: str) -> None:
    out, err = invoke(
        runner, "api-key", "create", "--db", db_url, "--label", "grafana", "--scopes", "stats:read,audit:read"
    )
    plain = out.strip()
    assert plain.startswith("cs_") and "\n" not in plain
    assert "not shown again" in err and plain not in err
    with Store(db_url) as store:
        key = store.keys.verify(plain)
        assert key is not None
        assert (key.label, key.scopes, key.rate_limit) == ("grafana", ("stats:read", "audit:read"), 100)
        with store.engine.connect() as conn:
            stored = " ".join(
                str(v) for row in conn.execute(text("SELECT * FROM api_keys")).all() for v in row
            )
    assert plain not in stored  # only the hash is kept
    (row,) = keys_json(runner, db_url)
    assert row["key"] == f"cs_{key.key_id}_********"
    assert (row["label"], row["scopes"], row["rateLimit"], row["revokedAt"]) == (
        "grafana",
        ["stats:read", "audit:read"],
        100,
        None,
    )
    listing, _ = invoke(runner, "api-key", "list", "--db", db_url)
    assert "active" in listing and "grafana" in listing and plain not in listing


def test_create_json_and_rate_limit(runner: CliRunner, sqlite_url: str) -> None:
    out, _ = invoke(
        runner, "api-key", "create", "--db", sqlite_url, "--label", "ci", "--scopes", "admin",
        "--rate-limit", "7", "--json",
    )  # fmt: skip
    created = json.loads(out)
    assert created["key"].startswith("cs_") and created["rateLimit"] == 7 and created["scopes"] == ["admin"]
    assert keys_json(runner, sqlite_url)[0]["rateLimit"] == 7


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scopes", "stats:read,root"], "unknown or missing scopes"),
        (["--scopes", ","], "unknown or missing scopes"),
        (["--scopes", "admin", "--rate-limit", "0"], "0"),
    ],
)
def test_create_refuses_bad_input_cleanly(
    runner: CliRunner, sqlite_url: str, args: list[str], needle: str
) -> None:
    _, err = invoke(runner, "api-key", "create", "--db", sqlite_url, "--label", "x", *args, code=2)
    assert needle in err and "Traceback" not in err
    assert keys_json(runner, sqlite_url) == []


def test_revoke_stops_the_key_and_its_tokens(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    plain = invoke(runner, "api-key", "create", "--db", db_url, "--label", "a", "--scopes", "audit:read")[
        0
    ].strip()
    key_id = str(keys_json(runner, db_url)[0]["keyId"])
    with (
        Store(db_url) as store,
        TestClient(create_app(Settings(db=db_url, home=tmp_path), store=store)) as client,
    ):
        token = client.post("/api/v1/auth/token", json={"api_key": plain}).json()["access_token"]
        out, _ = invoke(runner, "api-key", "revoke", key_id, "--db", db_url)
        assert out.strip() == f"revoked cs_{key_id}_********"
        assert store.keys.verify(plain) is None
        for bearer in (plain, token):
            response = client.get("/api/v1/receipts/keys", headers={"Authorization": f"Bearer {bearer}"})
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_api_key"
    assert keys_json(runner, db_url)[0]["revokedAt"] is not None
    _, err = invoke(runner, "api-key", "revoke", "nope", "--db", db_url, code=1)
    assert err.strip() == "error: no API key 'nope'"


def test_rotate_replaces_the_key(runner: CliRunner, db_url: str) -> None:
    old = invoke(
        runner, "api-key", "create", "--db", db_url, "--label", "bot", "--scopes", "stats:read",
        "--rate-limit", "9",
    )[0].strip()  # fmt: skip
    old_id = str(keys_json(runner, db_url)[0]["keyId"])
    new, err = invoke(runner, "api-key", "rotate", old, "--db", db_url)  # the whole key is accepted too
    new = new.strip()
    assert new.startswith("cs_") and new != old
    assert old not in err and f"key cs_{old_id}_******** revoked" in err  # the secret is never echoed
    with Store(db_url) as store:
        assert store.keys.verify(old) is None
        successor = store.keys.verify(new)
    assert successor is not None
    assert (successor.label, successor.scopes, successor.rate_limit) == ("bot", ("stats:read",), 9)
    rows = {r["keyId"]: r for r in keys_json(runner, db_url)}
    assert rows[old_id]["revokedAt"] is not None and rows[successor.key_id]["revokedAt"] is None
    _, err = invoke(runner, "api-key", "rotate", old_id, "--db", db_url, code=2)
    assert "is revoked" in err and "Traceback" not in err
