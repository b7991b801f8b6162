"""When each API key was last used (`api_keys.last_used_ms`, shown by `clawscope api-key list`),
written off the request path and coalesced.

A request only notes the key and the time in memory; the app's background loop writes what is
pending every few seconds (and on shutdown). A key is noted at most once a minute in a process, and
the store's update skips a key written less than a minute ago by any process, so a busy key costs one
small UPDATE a minute, never one per request.
"""

from __future__ import annotations

import threading

from clawscope.store import KEY_USE_RESOLUTION_MS, Store


class KeyUsage:
    """Last-use times of this process not yet written to the store."""

    def __init__(self, resolution_ms: int = KEY_USE_RESOLUTION_MS) -> None:
        self._lock = threading.Lock()
        self._resolution_ms = resolution_ms
        self._pending: dict[str, int] = {}
        self._noted: dict[str, int] = {}  # key id -> the last time noted for writing

    def note(self, key_id: str, now_ms: int) -> None:
        """A request used `key_id` at `now_ms` (memory only: nothing is written here)."""
        if not key_id:
            return
        with self._lock:
            if now_ms - self._noted.get(key_id, -self._resolution_ms) < self._resolution_ms:
                return
            self._noted[key_id] = now_ms
            self._pending[key_id] = now_ms

    def pending(self) -> dict[str, int]:
        with self._lock:
            return dict(self._pending)

    def flush(self, store: Store) -> int:
        """Write the pending times (kept for the next flush if the store fails); returns keys written."""
        with self._lock:
            taken, self._pending = self._pending, {}
        if not taken:
            return 0
        try:
            return store.keys.touch(taken)
        except BaseException:
            with self._lock:
                for key_id, ms in taken.items():
                    self._pending[key_id] = max(ms, self._pending.get(key_id, ms))
            raise
