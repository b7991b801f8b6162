"""`Store.rate_limits`: per-key request counts of the current one-minute window, shared by every
server process and replica on the database, so a key's limit holds however many serve it.

One atomic upsert per counted request, or per lease of several (`INSERT … ON CONFLICT DO UPDATE …
RETURNING`, on SQLite and PostgreSQL alike), returns the window's count; old windows are pruned in the
background.
"""

from __future__ import annotations

from sqlalchemy import delete, text
from sqlalchemy.exc import SQLAlchemyError

from clawscope.errors import StoreError
from clawscope.store import schema
from clawscope.store.engine import Part

_TAKE = text(
    "INSERT INTO rate_windows (key_id, window_ms, hits) VALUES (:key, :window, :n) "
    "ON CONFLICT (key_id, window_ms) DO UPDATE SET hits = rate_windows.hits + excluded.hits "
    "RETURNING hits"
)


class RateLimits(Part):
    def hit(self, key_id: str, window_ms: int) -> int:
        """Count one request of `key_id` in the window starting at `window_ms`; the window's count."""
        return self.take(key_id, window_ms, 1)

    def take(self, key_id: str, window_ms: int, n: int) -> int:
        """Count `n` requests of `key_id` at once (a lease a process hands out itself, see
        web/ratelimit.py); the window's count after them."""
        try:
            with self._write() as conn:
                return int(conn.execute(_TAKE, {"key": key_id, "window": window_ms, "n": n}).scalar_one())
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot count the request: {exc.__class__.__name__}") from None

    def prune(self, before_ms: int) -> int:
        """Forget windows that started before `before_ms`."""
        t = schema.rate_windows
        with self._write() as conn:
            return conn.execute(delete(t).where(t.c.window_ms < before_ms)).rowcount
