"""Dashboard forms refuse a post from another site (under `--no-auth` nothing else would stop a page the
user visits from creating an alert rule that sends data elsewhere); the dashboard's own posts pass."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app

LOCAL = "http://127.0.0.1"
FORM = {"name": "too dear", "type": "threshold", "measure": "cost", "threshold": "1", "window": "1h"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1"},
    ],
)
def test_a_form_posted_from_another_site_is_refused(
    settings: Settings, store: Store, headers: dict[str, str]
) -> None:
    app = create_app(replace(settings, no_auth=True), store=store)
    with TestClient(app, base_url=LOCAL) as client:
        before = len(store.alert_rules.all())
        r = client.post("/alerts/rules", data=FORM, headers=headers, follow_redirects=False)
        assert r.status_code == 403
        assert client.post("/alerts/rules/x/test", headers=headers, follow_redirects=False).status_code == 403
        assert len(store.alert_rules.all()) == before


def test_the_dashboards_own_post_passes(settings: Settings, store: Store) -> None:
    app = create_app(replace(settings, no_auth=True), store=store)
    with TestClient(app, base_url=LOCAL) as client:
        headers = {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
        before = len(store.alert_rules.all())
        r = client.post("/alerts/rules", data=FORM, headers=headers, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert len(store.alert_rules.all()) == before + 1
