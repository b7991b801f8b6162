"""The web layer: REST API, streams and dashboard, all served by the app `create_app` builds."""

from clawscope.web.app import create_app

__all__ = ["create_app"]
