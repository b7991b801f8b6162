"""The dashboard: server-rendered pages under `/` over the same analytics functions as the JSON API.

`install(app)` mounts the pages router and the packaged static files (`/static`); nothing is loaded
from a CDN, so it works offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).parent


def install(app: FastAPI) -> None:
    from clawscope.web.dashboard import browse_pages, downloads, pages

    app.include_router(pages.router)
    app.include_router(browse_pages.router)
    app.include_router(downloads.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
