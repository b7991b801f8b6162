"""The gateway's shared `state/openclaw.sqlite` of real 2026.7.35 and 2026.9.6 gateways."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawscope.ingest import ingest
from clawscope.sources.state_db import read_state_db
from clawscope.store import Store
from tests.support.env import FIXTURES


@pytest.mark.parametrize(
    ("release", "job", "session", "subagent"),
    [
        (
            "2026.7.35",
            "d361bc4e-3c5e-46bb-8902-da35b8425b73",
            "fe492a3b-c330-4e85-b8bb-2331d75d01fb",
            "agent:main:subagent:58fbff96-1589-4a55-8673-92bc04673daa",
        ),
        # 2026.9.6 has no cron_run_logs: the run is a task_runs row (runtime 'cron')
        (
            "2026.9.6",
            "ff2762cc-32a8-4564-baa6-901f62f85910",
            "2eb1732e-50d9-42b5-805d-d1ed9903f957",
            "agent:main:subagent:e3e07217-911f-4ba3-b964-de1dd4944e98",
        ),
    ],
)
def test_cron_and_subagent_runs(release: str, job: str, session: str, subagent: str) -> None:
    reg = read_state_db(str(FIXTURES / f"openclaw-{release}-state" / "state" / "openclaw.sqlite"), "h")
    assert reg.problems == []
    (run,) = reg.cron_runs
    assert (run.job_id, run.session_id, run.status) == (job, session, "ok")
    assert run.session_key == f"agent:main:cron:{job}:run:{session}"
    assert run.input_tokens and run.output_tokens
    (sub,) = reg.subagent_runs
    assert (sub.child_session_key, sub.requester_session_key) == (subagent, "agent:main:main")
    assert any(j.job_id == job for j in reg.cron_jobs)


def test_registry_runs_count_once_however_often_they_are_read(fixture_copy, sqlite_url: str) -> None:
    state = fixture_copy("openclaw-2026.9.6-state")
    (state / "openclaw.json").write_text("{}")
    db = state / "state" / "openclaw.sqlite"
    with Store(sqlite_url) as store:
        first = ingest(store, [state], instance="h")
        db.touch()  # the gateway wrote something else: the registry is read again
        second = ingest(store, [state], instance="h")
    assert (first.cron_runs, first.subagent_runs) == (1, 1)
    assert (second.cron_runs, second.subagent_runs) == (0, 0)


def test_state_dir_layout_of_the_fixtures() -> None:
    for release in ("2026.7.35", "2026.9.6"):
        assert Path(FIXTURES / f"openclaw-{release}-state" / "state" / "openclaw.sqlite").is_file()
