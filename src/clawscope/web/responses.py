"""JSON responses encoded by orjson (FastAPI deprecated its own ORJSONResponse).

Routes that return plain dicts built by the analytics layer use this as the default response
class: orjson encodes large stats and history payloads several times faster than `json`.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette import responses


class JSONResponse(responses.JSONResponse):
    """A starlette `JSONResponse` (so FastAPI documents routes' real response schemas, not a string)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
