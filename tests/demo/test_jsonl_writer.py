"""The JSONL-era state dir: files, session store, cron store and run log, sub-agent registry (format §1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from clawscope.demo import DemoTotals
from clawscope.demo.jsonfmt import pretty
from clawscope.model import SessionKind
from clawscope.sources.session_keys import parse_session_key
from tests.oracle import KEY, UUID

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "openclaw-2026.3.24-jsonl"
RESET = re.compile(rf"^({UUID})(-topic-\d+)?\.jsonl\.reset\.\d{{4}}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{{3}}Z$")


def stores(root: Path) -> dict[str, dict[str, dict[str, object]]]:
    return {
        d.name: json.loads((d / "sessions" / "sessions.json").read_text("utf-8"))
        for d in (root / "agents").iterdir()
    }


def test_layout(demo_jsonl: tuple[Path, DemoTotals]) -> None:
    root, totals = demo_jsonl
    assert sorted(p.name for p in root.iterdir()) == [
        "agents",
        "cron",
        "demo-totals.json",
        "openclaw.json",
        "subagents",
    ]
    transcripts = [p for p in root.glob("agents/*/sessions/*") if p.name != "sessions.json"]
    assert len(transcripts) == totals.all.sessions == 160
    for p in transcripts:
        assert p.name.endswith(".jsonl") or RESET.match(p.name), p.name
    assert any(RESET.match(p.name) for p in transcripts)  # rolled-over main/group windows
    assert any("-topic-" in p.name for p in transcripts)  # Telegram forum topic transcripts


def test_session_store_keys_and_entries(demo_jsonl: tuple[Path, DemoTotals]) -> None:
    root, _ = demo_jsonl
    for agent, store in stores(root).items():
        folder = root / "agents" / agent / "sessions"
        kinds = set()
        by_session: dict[str, list[str]] = {}
        for key, entry in store.items():
            assert KEY.match(key), key
            assert key.startswith(f"agent:{agent}:"), key
            kinds.add(parse_session_key(key).kind)
            sid = str(entry["sessionId"])
            by_session.setdefault(sid, []).append(key)
            assert isinstance(entry["updatedAt"], int)
            assert entry["totalTokens"] == entry["totalTokens"]
            assert isinstance(entry["estimatedCostUsd"], float | int)
            if "sessionFile" in entry:
                assert (folder / Path(str(entry["sessionFile"])).name).exists(), key
            else:  # cron sessions carry no sessionFile (observed RUN-3.24)
                assert ":cron:" in key
                assert (folder / f"{sid}.jsonl").exists()
            if ":subagent:" in key:  # one deeper than its parent (the planted failures nest three deep)
                assert entry["spawnedBy"] in store
                parent_depth = store[str(entry["spawnedBy"])].get("spawnDepth", 0)
                assert entry["spawnDepth"] == parent_depth + 1, key
        assert {SessionKind.MAIN, SessionKind.SUBAGENT, SessionKind.CRON, SessionKind.CRON_RUN} <= kinds
        for sid, keys in by_session.items():  # a cron run is named by its run key and (latest) its job key
            if len(keys) > 1:
                assert sorted(parse_session_key(k).kind for k in keys) == [
                    SessionKind.CRON,
                    SessionKind.CRON_RUN,
                ]
                assert keys[0].endswith(sid) or keys[1].endswith(sid)


def test_files_are_laid_out_like_the_real_ones(demo_jsonl: tuple[Path, DemoTotals]) -> None:
    root, _ = demo_jsonl
    # Same layout rules as the real sample: 2-space JSON; only runs.json ends with a newline.
    for rel, newline in (
        ("agents/main/sessions/sessions.json", False),
        ("cron/jobs.json", False),
        ("subagents/runs.json", True),
    ):
        real = (FIXTURE / rel).read_bytes()
        assert real.endswith(b"\n") == newline
        mine = (root / rel).read_bytes()
        assert mine.endswith(b"\n") == newline, rel
        assert mine.rstrip(b"\n") == pretty(json.loads(mine)), rel


def test_cron_store_and_run_log(demo_jsonl: tuple[Path, DemoTotals]) -> None:
    root, _ = demo_jsonl
    jobs = json.loads((root / "cron" / "jobs.json").read_text("utf-8"))
    real = json.loads((FIXTURE / "cron" / "jobs.json").read_text("utf-8"))
    assert jobs["version"] == real["version"] == 1
    logs = {p.stem for p in (root / "cron" / "runs").iterdir()}
    assert {j["id"] for j in jobs["jobs"]} == logs  # every agent's jobs, one store
    assert {j.get("agentId", "main") for j in jobs["jobs"]} == {"main", "work", "research"}
    keys = {k for s in stores(root).values() for k in s}
    for job in jobs["jobs"]:
        assert set(real["jobs"][0]) <= set(job) | {"agentId"}
        assert set(real["jobs"][0]["state"]) == set(job["state"])
        agent = job.get("agentId", "main")
        log = (root / "cron" / "runs" / f"{job['id']}.jsonl").read_text("utf-8").splitlines()
        real_line = json.loads((FIXTURE / "cron" / "runs" / f"{real['jobs'][0]['id']}.jsonl").read_text())
        for raw in log:
            line = json.loads(raw)
            assert line["sessionKey"] == f"agent:{agent}:cron:{job['id']}:run:{line['sessionId']}"
            assert line["sessionKey"] in keys
            assert line["jobId"] == job["id"]
            if line["status"] == "ok":
                assert set(line) == set(real_line)
                assert set(line["usage"]) == {"input_tokens", "output_tokens", "total_tokens"}
            else:
                assert line["status"] == "error"
                assert line["error"]
        assert f"agent:{agent}:cron:{job['id']}" in keys


def test_subagent_registry(demo_jsonl: tuple[Path, DemoTotals]) -> None:
    root, totals = demo_jsonl
    runs = json.loads((root / "subagents" / "runs.json").read_text("utf-8"))
    real = json.loads((FIXTURE / "subagents" / "runs.json").read_text("utf-8"))
    assert runs["version"] == 2
    keys = {k for s in stores(root).values() for k in s}
    assert len(runs["runs"]) == totals.as_dict()["bySessionKind"]["subagent"]["sessions"]
    real_run = next(iter(real["runs"].values()))
    for run_id, run in runs["runs"].items():
        assert run["runId"] == run_id
        assert set(run) == set(real_run)
        assert run["childSessionKey"] in keys
        assert run["requesterSessionKey"] in keys


def test_config(demo_jsonl: tuple[Path, DemoTotals]) -> None:
    root, _ = demo_jsonl
    config = json.loads((root / "openclaw.json").read_text("utf-8"))
    assert [a["id"] for a in config["agents"]["list"]] == ["main", "work", "research"]
    assert "apiKey" not in json.dumps(config)  # a demo holds no secrets
