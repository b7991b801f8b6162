"""Keep secrets out of the access log: the one-time dashboard login token travels in the URL
(`/login?token=…`, the link `clawscope serve` prints), and uvicorn's access log writes every URL.

A filter on the `uvicorn.access` logger replaces the value of any `token` (or `api_key`) query
parameter with `[redacted]` before the line is formatted, in every process the app runs in.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_SECRET_PARAM = re.compile(r"([?&](?:token|api_key|access_token)=)[^&#\s]*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the values of secret query parameters replaced."""
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Add the filter to the access logger once (create_app calls it; idempotent)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
