"""The Alerts page's rule form sets every rule option the CLI, the API and the config file have that
the page offers; here `abort_session`: its checkbox creates a rule that aborts the session, an
unticked box one that does not, and a rule the option does not fit is refused with the server's reason
and the box kept ticked (both backends)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from clawscope.alerts import manage
from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app

LOCAL = "http://127.0.0.1"
HEADERS = {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
FORM = {"name": "runaway", "type": "threshold", "measure": "session_cost", "threshold": "2", "window": "1h"}


def _rule(store: Store, name: str) -> dict[str, Any]:
    (rule,) = [r for r in manage.list_rules(store) if r["name"] == name]
    return rule


def test_the_abort_session_checkbox(settings: Settings, store: Store) -> None:
    app = create_app(replace(settings, no_auth=True), store=store)
    with TestClient(app, base_url=LOCAL) as client:
        page = client.get("/alerts").text
        assert re.search(r'<input id="abort-session" name="abort_session" type="checkbox" value="on">', page)
        r = client.post("/alerts/rules", data={**FORM, "abort_session": "on"}, headers=HEADERS)
        assert r.status_code == 200 and "Rule created." in r.text
        assert _rule(store, "runaway")["abort_session"] is True
        assert 'data-abort="on"' in r.text  # the rules table says so
        client.post("/alerts/rules", data={**FORM, "name": "watch only"}, headers=HEADERS)
        assert _rule(store, "watch only").get("abort_session", False) is False
        bad = {**FORM, "name": "daily", "measure": "cost", "abort_session": "on"}
        r = client.post("/alerts/rules", data=bad, headers=HEADERS)
        assert r.status_code == 422
        assert "abort_session stops the session an alert is about" in r.text
        assert re.search(r'name="abort_session" type="checkbox" value="on" checked>', r.text)
        assert not [x for x in manage.list_rules(store) if x["name"] == "daily"]
