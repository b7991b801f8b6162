"""The key that encrypts the secrets the store keeps (agents' webhook secrets, gateway tokens), kept
OUTSIDE the database, so a copied database does not carry its own key.

Where it comes from, first match wins: the `secrets_key` setting (`CLAWSCOPE_SECRETS_KEY`; any long
random string), else a key file (`secrets_key_file`; default: beside a SQLite database as
`<database>.key`, else `~/.clawscope/secrets.key`), created on first use with mode 0600 and never
overwritten. Every server process and replica on one database must use the same key.

The database keeps only a fingerprint of the key (`server_secrets`, `secrets-key-check`): a process
with another key, or a copied database whose key file was not copied, is refused with a clear error
instead of sealing new secrets under a second key. Databases from before (whose key was derived from
a `server_secrets` row, `openclaw-fernet`) are migrated on first use: every stored secret is re-sealed
under the outside key in one transaction, and the old row is deleted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from clawscope.config import default_home
from clawscope.dburl import sqlite_file
from clawscope.errors import StoreError
from clawscope.store import schema
from clawscope.store.engine import write_tx

LEGACY_NAME = "openclaw-fernet"
CHECK_NAME = "secrets-key-check"


def default_key_file(url: str) -> Path | None:
    """`<database>.key` beside a SQLite file, `~/.clawscope/secrets.key` otherwise (None: in memory)."""
    path = sqlite_file(url)
    if path is not None:
        return Path(path + ".key")
    return None if url.startswith("sqlite") else default_home() / "secrets.key"


def fernet_of(material: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest()))


def fingerprint(material: str) -> str:
    return hashlib.sha256(b"clawscope secrets key check\0" + material.encode()).hexdigest()


class SecretsKey:
    """Resolves and checks the key once per process (`Remote.fernet` asks for it on first use)."""

    def __init__(self, url: str, key: str = "", key_file: str | Path = "") -> None:
        self.key = key
        self.path = Path(key_file).expanduser() if key_file else default_key_file(url)
        self._memory: str | None = None

    def where(self) -> str:
        return "the secrets_key setting" if self.key else f"the key file {self.path}"

    def load(self, create: bool) -> str | None:
        """The key material; a missing file is created only when `create` (0600, never overwritten)."""
        if self.key:
            return self.key
        if self.path is None:  # an in-memory database: an in-memory key
            if self._memory is None:
                self._memory = base64.urlsafe_b64encode(os.urandom(32)).decode()
            return self._memory
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return _create(self.path) if create else None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise StoreError(f"{self.path} is readable by others: `chmod 600 {self.path}`")
        material = self.path.read_text(encoding="ascii").strip()
        if len(material) < 32:
            raise StoreError(f"{self.path} holds no key (expected 32+ characters)")
        return material

    def open(self, engine: Engine) -> Fernet:
        """The Fernet of this database's secrets: the key checked against its fingerprint, and a
        database from before migrated to it."""
        t = schema.server_secrets
        with engine.connect() as conn:
            check = conn.execute(select(t.c.value).where(t.c.name == CHECK_NAME)).scalar()
        material = self.load(create=check is None)
        if material is None:
            raise StoreError(
                f"this database's secrets are sealed under a key kept outside it, and {self.where()} is "
                "missing: restore it (or set secrets_key) — a copied database does not carry its key"
            )
        for attempt in range(2):
            try:
                with _tx(engine) as conn:
                    _adopt(conn, material, self.where())
                break
            except IntegrityError:  # another process recorded the fingerprint first: check against it
                if attempt:
                    raise
        return fernet_of(material)


@contextmanager
def _tx(engine: Engine) -> Iterator[Connection]:
    with write_tx(engine) as conn:
        yield conn


def _adopt(conn: Connection, material: str, where: str) -> None:
    t = schema.server_secrets
    check = conn.execute(select(t.c.value).where(t.c.name == CHECK_NAME)).scalar()
    if check is None:
        conn.execute(insert(t).values(name=CHECK_NAME, value=fingerprint(material), created_ms=0))
    elif not hmac.compare_digest(str(check), fingerprint(material)):
        raise StoreError(
            f"{where} is not the key this database's secrets are sealed under: use the key file or "
            "secrets_key of the server that stored them (every replica needs the same key)"
        )
    legacy = conn.execute(select(t.c.value).where(t.c.name == LEGACY_NAME)).scalar()
    if legacy is None:
        return
    _reseal(conn, fernet_of(str(legacy)), fernet_of(material))
    conn.execute(delete(t).where(t.c.name == LEGACY_NAME))


def _reseal(conn: Connection, old: Fernet, new: Fernet) -> None:
    for table, key, column in (
        (schema.openclaw_agents, "agent_id", "secret_enc"),
        (schema.openclaw_instances, "instance_id", "gateway_token_enc"),
    ):
        rows = conn.execute(select(table.c[key], table.c[column]).where(table.c[column].is_not(None))).all()
        for ident, sealed in rows:
            try:
                plain = old.decrypt(str(sealed).encode())
            except InvalidToken:
                continue  # already unusable: left as it is (it opens to nothing)
            conn.execute(
                update(table).where(table.c[key] == ident).values({column: new.encrypt(plain).decode()})
            )


def _create(path: Path) -> str:
    """A new key file, made atomically: written whole to a private temporary file, then linked into
    place (`os.link` fails if the name exists). A process that loses the race reads the winner's
    complete file, never a half-written one (an empty key would seal every secret under sha256(""))."""
    material = base64.urlsafe_b64encode(os.urandom(32)).decode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
    except OSError as exc:
        raise StoreError(f"cannot create the secrets key file {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(material + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:  # another process made it first: use theirs (whole, as it was linked)
        material = path.read_text(encoding="ascii").strip()
        if len(material) < 32:
            raise StoreError(f"{path} holds no key (expected 32+ characters)") from None
    except OSError as exc:
        raise StoreError(f"cannot create the secrets key file {path}: {exc.strerror}") from None
    finally:
        os.unlink(tmp)
    return material
