"""`trace_only` instances: no message text, tool arguments or tool outputs anywhere in the database,
and every metric as in full mode."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import text

from clawscope import analytics
from clawscope.model import Filters
from clawscope.store import Store
from clawscope.store.transcripts import raw_entries
from tests.support.remote import WEBHOOK, register, session_body, signed_headers
from tests.support.stored import everything

SECRET = "zebra-platypus-4471"


def _metrics(store: Store) -> dict[str, object]:
    f = Filters()
    out = dict(analytics.stats(store, f)["totals"])
    out["byTool"] = analytics.stats(store, f, by="tool")["groups"]
    out["byModel"] = analytics.stats(store, f, by="model")["groups"]
    s = analytics.sessions(store, f)[0]
    out["session"] = {
        k: s[k] for k in ("llmCalls", "toolCalls", "toolErrors", "tokensIn", "entries", "messages")
    }
    return out


def _send(client: TestClient, key: str, mode: str) -> None:
    instance_id, secret = register(client, key, mode=mode)
    body = session_body(instance_id, session_id=str(uuid.uuid4()), text=SECRET, n=2)
    r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
    assert r.status_code == 200, r.text


def test_trace_only_stores_no_content_and_every_metric_works(
    client: TestClient, store: Store, make_key, tmp_path
) -> None:
    key = make_key("admin")
    _send(client, key, "trace_only")
    blob = everything(store)
    assert SECRET.encode() not in blob
    assert b"gw-token-SECRET" not in blob  # nor the gateway token
    metrics = _metrics(store)
    assert metrics["llmCalls"] == 2 and metrics["toolCalls"] == 2 and metrics["tokensIn"] == 200
    # the raw entries keep their shape: ids, roles, tool names, usage — and hashes with lengths
    with store.engine.connect() as conn:
        sid = conn.execute(text("SELECT sid FROM sessions")).scalar_one()
        records = [json.loads(raw) for _, _, raw in raw_entries(conn, sid)]
    assistant = next(r for r in records if r.get("message", {}).get("role") == "assistant")
    assert assistant["message"]["usage"]["input"] == 100
    assert assistant["message"]["content"][1]["name"] == "exec"
    assert set(assistant["message"]["content"][1]["arguments"]["redacted"]) == {"sha256", "bytes"}
    assert assistant["message"]["content"][0]["text"].startswith("[redacted sha256:")


def test_the_same_session_in_full_mode_has_the_same_metrics(
    client: TestClient, store: Store, make_key
) -> None:
    key = make_key("admin")
    _send(client, key, "full")
    assert SECRET.encode() in everything(store)  # the grep above can find it when it is there
    metrics = _metrics(store)
    assert metrics["llmCalls"] == 2 and metrics["toolCalls"] == 2 and metrics["tokensIn"] == 200


def test_trace_only_and_full_agree_on_every_metric(settings, make_key, tmp_path) -> None:
    from dataclasses import replace

    from clawscope.web import create_app

    got = []
    for mode in ("full", "trace_only"):
        s = replace(settings, db=f"sqlite:///{tmp_path / (mode + '.db')}")
        with Store(s.db_url) as st, TestClient(create_app(s, store=st)) as c:
            plain, _ = st.keys.create("t", ("admin",), 1000)
            _send(c, plain, mode)
            got.append(_metrics(st))
    assert got[0] == got[1]
