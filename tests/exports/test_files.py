"""File exports: every kind and format read back equals the REST API (sessions list, history's model and
tool calls), filters apply, findings are exported as the API lists them, the CLI's --format csv
writes the JSON's fields through the same CSV writer."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from clawscope.cli import cli
from clawscope.demo import generate
from clawscope.exports import csvout, files
from clawscope.ingest import ingest
from clawscope.store import FindingQuery, Store
from tests.support.server import auth

SAMPLES = ("openclaw-2026.3.24-jsonl", "openclaw-2026.9.6-sqlite")


@pytest.fixture
def samples(store: Store, fixture_copy, tmp_path: Path) -> Store:
    """The real samples of both eras and a small demo state (agents, triggers, tools, errors)."""
    generate(tmp_path / "demo", sessions=12, agents=2, era="jsonl", seed=4)
    ingest(store, [*(fixture_copy(s) for s in SAMPLES), tmp_path / "demo"], instance="test", estimate=True)
    return store


def run(*args: str, code: int = 0) -> tuple[str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


def read_back(path: Path, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def as_written(row: dict, fmt: str, columns: tuple[str, ...]) -> dict:
    """What an API row reads as in a file of this format."""
    if fmt == "jsonl":
        return {c: row.get(c) for c in columns}
    return {c: csvout.cell(row.get(c)) for c in columns}


def api_sessions(client: TestClient, key: str) -> list[dict]:
    out, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/sessions", params=params, headers=auth(key)).json()
        out += page["sessions"]
        cursor = page["nextCursor"]
        if cursor is None:
            return out


def api_history(client: TestClient, key: str, sessions: list[dict]) -> tuple[list[dict], list[dict]]:
    """(model calls, tool calls) of every session, as the history API gives them, with where they were."""
    calls, tools = [], []
    for s in sessions:
        where = {k: s[k] for k in ("sessionId", "agent", "instance", "channel", "kind")}
        h = client.get(
            f"/api/v1/sessions/{s['sessionId']}/history", params={"limit": 5000}, headers=auth(key)
        ).json()
        for e in h["entries"]:
            if e["llmCall"] is not None:
                calls.append({**where, "entryId": e["id"], "at": e["at"], **e["llmCall"]})
            for t in e["toolCalls"]:
                tools.append({**where, "entryId": e["id"], **t})
    return calls, tools


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_exports_read_back_equal_the_api(
    samples: Store, client: TestClient, make_key, tmp_path: Path, fmt: str
) -> None:
    key = make_key("sessions:read")
    sessions = api_sessions(client, key)
    calls, tools = api_history(client, key, sessions)
    assert len(sessions) >= 15 and len(calls) >= 50 and len(tools) >= 20
    expected = {
        "sessions": (sessions, ("sessionId",), files.SESSION_COLUMNS),
        "calls": (calls, ("sessionId", "entryId"), files.CALL_COLUMNS),
        "tools": (tools, ("sessionId", "callId"), files.TOOL_COLUMNS),
    }
    for kind, (rows, ident, columns) in expected.items():
        path = tmp_path / f"{kind}.{fmt}"
        _, err = run("export", kind, "--db", samples.url, "--format", fmt, "--out", str(path))
        assert err.strip() == f"{len(rows)} {kind} exported"
        got = read_back(path, fmt)
        if fmt == "csv":
            assert list(got[0]) == list(columns)
        by_id = {tuple(r[i] for i in ident): r for r in got}
        assert len(by_id) == len(got) == len(rows)
        for row in rows:
            written = by_id[tuple(row[i] for i in ident)]
            shared = [c for c in columns if c in row]  # the fields the API row carries
            assert len(shared) >= 10, (kind, shared)
            assert {c: written[c] for c in shared} == as_written(row, fmt, tuple(shared)), (kind, row)


def test_export_to_stdout_and_filters(samples: Store, client: TestClient, make_key) -> None:
    key = make_key("sessions:read")
    everything = api_sessions(client, key)
    since = sorted(s["lastAt"] for s in everything)[len(everything) // 2]
    want = client.get("/api/v1/sessions", params={"from": since, "limit": 500}, headers=auth(key)).json()[
        "sessions"
    ]
    out, _ = run("export", "sessions", "--db", samples.url, "--since", since)
    got = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["sessionId"] for r in got) == sorted(s["sessionId"] for s in want)
    assert 0 < len(got) < len(everything)
    calls, _ = run("export", "calls", "--db", samples.url, "--agent", "main", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(calls)))
    assert rows and {r["agent"] for r in rows} == {"main"}


def test_findings_are_exported_as_the_api_lists_them(samples: Store, tmp_path: Path, monkeypatch) -> None:
    from clawscope.detect.service import detect
    from tests.detect.doubles import FailedToolDetector

    monkeypatch.setattr(files, "FINDINGS_PAGE", 1)  # every page boundary is crossed
    detect(samples, {}, detectors={FailedToolDetector.id: FailedToolDetector()}, publish=False)
    stored = samples.findings.page(FindingQuery(), 100)
    assert stored  # the samples have failed tool calls
    lines, _ = run("export", "findings", "--db", samples.url, "--format", "jsonl")
    rows = [json.loads(ln) for ln in lines.splitlines()]
    assert [r["id"] for r in rows] == [f.id for f in stored]
    assert set(rows[0]) == set(files.FINDING_COLUMNS) and rows[0]["family"] == "tool_abuse"
    assert run("export", "findings", "--db", samples.url, "--agent", "nobody", "--format", "jsonl")[0] == ""


def test_cli_format_csv_is_the_json_through_the_csv_writer(samples: Store) -> None:
    for args, pick in (
        (("stats", "--by", "model"), lambda d: d["groups"]),
        (("stats",), lambda d: [d["totals"]]),
        (("sessions",), lambda d: d),
        (("problems",), lambda d: d),
    ):
        as_json = json.loads(run(*args, "--db", samples.url, "--json")[0])
        rows = list(csv.DictReader(io.StringIO(run(*args, "--db", samples.url, "--format", "csv")[0])))
        want = pick(as_json)
        assert len(rows) == len(want)
        for got, row in zip(rows, want, strict=True):
            assert {k: got[k] for k in got} == {k: csvout.cell(row.get(k)) for k in got}
    _, err = run("stats", "--db", samples.url, "--json", "--format", "csv", code=2)
    assert "contradict" in err


def test_csv_cells() -> None:
    assert [csvout.cell(v) for v in (None, True, False, 3, 0.1, [1, "a"], {"k": 1}, "x,y")] == [
        "", "true", "false", "3", "0.1", '[1,"a"]', '{"k":1}', "x,y",
    ]  # fmt: skip
    assert float(csvout.cell(0.1 + 0.2)) == 0.1 + 0.2  # floats read back exactly
    chunks = list(csvout.lines([{"a": 1, "b": "x\ny"}], ["a", "b"]))
    assert "".join(chunks) == 'a,b\n1,"x\ny"\n' and len(chunks) == 2


def test_findings_export_is_registered_by_its_package(samples: Store, tmp_path: Path, monkeypatch) -> None:
    """The extension point detection fills: an `Exporter` under "findings" in `EXPORTERS`."""
    rows = [{"id": "f_1", "family": "loop", "sessionId": "s"}, {"id": "f_2", "family": "hallucination"}]
    exporter = files.Exporter(("id", "family", "sessionId"), lambda _store, _f: iter(rows))
    monkeypatch.setitem(files.EXPORTERS, "findings", exporter)
    out = tmp_path / "findings.csv"
    run("export", "findings", "--db", samples.url, "--format", "csv", "--out", str(out))
    assert out.read_text() == "id,family,sessionId\nf_1,loop,s\nf_2,hallucination,\n"
