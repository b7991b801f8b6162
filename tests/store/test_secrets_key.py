"""The key of stored secrets lives outside the database (issue 13, item 14): a 0600 key file beside a
SQLite database or the `secrets_key` setting; a copied database does not carry it; databases from
before are migrated (their secrets re-sealed under the outside key)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from clawscope.config import Settings
from clawscope.errors import StoreError
from clawscope.store import Store
from tests.support.stored import everything

KEY_A = "a" * 40
KEY_B = "b" * 40


def _register(store: Store) -> tuple[str, str]:
    inst = store.remote.add_instance("box", "http://127.0.0.1:18789", "gateway-token-123")
    _, secret = store.remote.add_agent(inst.instance_id, "main", None, None)
    return inst.instance_id, secret


def _secret_of(store: Store, instance_id: str) -> bytes:
    signer = store.remote.signer(instance_id, "main")
    assert signer is not None
    return signer.secret


def test_the_key_file_is_created_beside_the_database_0600_and_not_in_it(tmp_path: Path) -> None:
    db = tmp_path / "clawscope.db"
    with Store(f"sqlite:///{db}") as store:
        instance_id, secret = _register(store)
        assert _secret_of(store, instance_id) == secret.encode()
        key_file = tmp_path / "clawscope.db.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        material = key_file.read_text().strip()
        dump = everything(store)
        assert material.encode() not in dump and secret.encode() not in dump
        with store.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT name FROM server_secrets"))}
        assert "openclaw-fernet" not in names  # no key material in the database any more


def test_a_copied_database_does_not_carry_its_key(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        instance_id, secret = _register(store)
    (tmp_path / "copy").mkdir()
    shutil.copy(tmp_path / "a.db", tmp_path / "copy" / "a.db")
    with Store(f"sqlite:///{tmp_path / 'copy' / 'a.db'}") as copied, pytest.raises(StoreError) as exc:
        copied.remote.signer(instance_id, "main")
    assert "copied database does not carry its key" in str(exc.value)
    assert not (tmp_path / "copy" / "a.db.key").exists()  # no second key made up in its place
    shutil.copy(tmp_path / "a.db.key", tmp_path / "copy" / "a.db.key")  # the operator brings the key
    with Store(f"sqlite:///{tmp_path / 'copy' / 'a.db'}") as copied:
        assert _secret_of(copied, instance_id) == secret.encode()


def test_the_key_can_come_from_the_setting_and_another_key_is_refused(db_url: str, tmp_path: Path) -> None:
    with Store(db_url, secrets_key=KEY_A) as store:
        instance_id, secret = _register(store)
    with Store(db_url, secrets_key=KEY_A) as store:
        assert _secret_of(store, instance_id) == secret.encode()
    with Store(db_url, secrets_key=KEY_B) as other, pytest.raises(StoreError) as exc:
        other.remote.signer(instance_id, "main")
    assert "not the key this database's secrets are sealed under" in str(exc.value)
    assert KEY_A not in str(exc.value) and KEY_B not in str(exc.value)


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "k.key"
    key_file.write_text(KEY_A)
    key_file.chmod(0o644)
    store = Store(f"sqlite:///{tmp_path / 'x.db'}", secrets_key_file=str(key_file))
    with store, pytest.raises(StoreError, match="chmod 600"):
        _register(store)


def test_a_database_from_before_is_migrated_to_the_outside_key(db_url: str, tmp_path: Path) -> None:
    # Build the old state: the key seed in server_secrets, secrets sealed under the key derived from it.
    from clawscope.store import schema  # noqa: F401 - the tables exist through the Store below

    legacy_seed = "legacy-seed-kept-in-the-database"
    with Store(db_url, secrets_key=KEY_A) as store:
        instance_id, secret = _register(store)
        old = _fernet(legacy_seed)
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM server_secrets WHERE name = 'secrets-key-check'"))
            conn.execute(
                text(
                    "INSERT INTO server_secrets (name, value, created_ms) VALUES ('openclaw-fernet', :v, 0)"
                ),
                {"v": legacy_seed},
            )
            conn.execute(
                text("UPDATE openclaw_agents SET secret_enc = :s"),
                {"s": old.encrypt(secret.encode()).decode()},
            )
            conn.execute(
                text("UPDATE openclaw_instances SET gateway_token_enc = :s"),
                {"s": old.encrypt(b"gateway-token-123").decode()},
            )
    key_file = tmp_path / "outside.key"
    settings = Settings(db=db_url, home=tmp_path, secrets_key_file=str(key_file))
    with Store(db_url, secrets_key_file=settings.secrets_key_path) as store:
        assert _secret_of(store, instance_id) == secret.encode()  # readable after the migration
        with store.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT name FROM server_secrets"))}
            sealed = conn.execute(text("SELECT gateway_token_enc FROM openclaw_instances")).scalar_one()
        assert "openclaw-fernet" not in names and "secrets-key-check" in names
        assert _fernet(key_file.read_text().strip()).decrypt(sealed.encode()) == b"gateway-token-123"
    with Store(db_url, secrets_key_file=str(key_file)) as again:  # idempotent
        assert _secret_of(again, instance_id) == secret.encode()


def test_settings_put_the_key_file_beside_a_sqlite_database_or_in_home(tmp_path: Path) -> None:
    assert Settings(db=f"sqlite:///{tmp_path}/c.db", home=tmp_path).secrets_key_path == f"{tmp_path}/c.db.key"
    pg = Settings(db="postgresql://u@h/db", home=tmp_path)
    assert pg.secrets_key_path == str(tmp_path / "secrets.key")
    assert Settings(db="x", home=tmp_path, secrets_key_file="/k").secrets_key_path == "/k"


def _fernet(material: str):  # type: ignore[no-untyped-def]
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest()))


def test_processes_creating_the_key_at_once_all_get_the_same_whole_key(tmp_path: Path) -> None:
    import threading

    from clawscope.store.secrets_key import SecretsKey

    path = tmp_path / "k" / "secrets.key"
    barrier, got = threading.Barrier(8), []

    def make() -> None:
        barrier.wait()
        got.append(SecretsKey("sqlite:///unused.db", key_file=path).load(create=True))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1 and len(got[0] or "") >= 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == ["secrets.key"]  # no temporary file left


def test_losing_the_race_to_a_file_without_a_key_is_an_error_not_an_empty_key(tmp_path: Path) -> None:
    from clawscope.store.secrets_key import _create

    path = tmp_path / "secrets.key"
    path.write_text("")  # what a reader saw between another process's create and its write, before
    with pytest.raises(StoreError, match="holds no key"):
        _create(path)
