"""Constants and small helpers shared by the audit tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).parents[1] / "fixtures" / "peac-vectors"
NOW_MS = 1768478400000  # the vectors' frozen Date.now()
NOW_S = NOW_MS // 1000


def expected_json(*parts: str) -> Any:
    return json.loads(VECTORS.joinpath(*parts).read_text())
