"""One-time dashboard login tokens: made for the URL `clawscope serve` prints, each redeemable once.

They live in this process's memory only (a restart invalidates them) and are compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
import threading


class LoginTokens:
    def __init__(self) -> None:
        self._tokens: list[str] = []
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A fresh single-use token."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.append(token)
        return token

    def redeem(self, token: str) -> bool:
        """Consume a token; True when it was valid (two requests redeeming one token: one wins)."""
        with self._lock:
            found = None
            for t in self._tokens:
                if hmac.compare_digest(t.encode(), token.encode()):
                    found = t
            if found is None:
                return False
            self._tokens.remove(found)
            return True
