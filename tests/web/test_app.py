"""The app factory: every route module is mounted, and `--no-auth` is only for loopback names."""

from __future__ import annotations

import pkgutil

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import clawscope.web.routes
from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import app as web_app
from clawscope.web.app import create_app, is_loopback


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com", ""))


def test_every_route_module_is_mounted(tmp_path) -> None:
    modules = {m.name for m in pkgutil.iter_modules(clawscope.web.routes.__path__)}
    mounted = {m.__name__.rsplit(".", 1)[1] for m in (*web_app.ROUTES, *web_app.SPEC_ROUTES)}
    assert modules == mounted
    with Store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        app = create_app(Settings(home=tmp_path, instance="t"), store=store)
        documented = set(app.openapi()["paths"])
        with TestClient(app) as client:
            for module in (*web_app.ROUTES, *web_app.SPEC_ROUTES):
                prefix = web_app.API_PREFIX if module in web_app.ROUTES else ""
                for route in module.router.routes:
                    assert isinstance(route, APIRoute)
                    if route.include_in_schema:
                        assert prefix + route.path in documented, route.path
                    else:  # served, not documented (SSE, OTLP): routed, so not a 404
                        method = sorted(route.methods)[0]
                        assert client.request(method, prefix + route.path).status_code != 404, route.path
