"""What the browser tier's `served` fixture yields: a live server over a followed state dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clawscope.web import live_ingest
from clawscope.web.state import AppState


@dataclass
class Served:
    url: str
    state: AppState
    state_dir: Path
    live: live_ingest.LiveIngest
