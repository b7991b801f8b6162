"""Large registries (cron run logs, `subagents/runs.json`) reach the store a unit's worth of runs at a
time (`FLUSH_REGISTRY_ROWS`), not as one transaction holding every run of a history; the rows are the
same, a re-run adds nothing, and a run killed between the units loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.ingest import registries as ingest_registries
from clawscope.store import Store, writer
from tests.support.builders import state_dir

SUBAGENTS, CRON = 12, 7


def _state(root: Path) -> Path:
    state_dir(root)
    runs = {
        f"r{i}": {
            "runId": f"r{i}",
            "childSessionKey": f"agent:main:subagent:{i}",
            "createdAt": 1_790_000_000_000,
        }
        for i in range(SUBAGENTS)
    }
    (root / "subagents").mkdir()
    (root / "subagents" / "runs.json").write_text(json.dumps({"version": 2, "runs": runs}))
    (root / "cron" / "runs").mkdir(parents=True)
    lines = [
        {"ts": 1_790_000_000_000 + i, "jobId": "job", "status": "ok", "sessionId": f"c{i}"}
        for i in range(CRON)
    ]
    (root / "cron" / "runs" / "job.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def _counts(store: Store) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in ("subagent_runs", "cron_runs", "sessions")
        )


def test_runs_are_written_a_unit_at_a_time_with_the_same_rows(tmp_path: Path, monkeypatch) -> None:
    root = _state(tmp_path / "state")
    with Store(f"sqlite:///{tmp_path / 'whole.db'}") as store:
        ingest(store, [root], instance="t")
        want = _counts(store)
    assert want == (SUBAGENTS, CRON, CRON)  # a cron run's session is known from its line
    monkeypatch.setattr(writer, "FLUSH_REGISTRY_ROWS", 5)
    monkeypatch.setattr(ingest_registries, "FLUSH_REGISTRY_ROWS", 5)
    units: list[int] = []
    write = writer.Writer.write

    def counted(self, unit) -> None:  # type: ignore[no-untyped-def]
        runs = sum(len(found) for kind, found in unit.registry if kind != "agents")
        if runs:
            units.append(runs)
        write(self, unit)

    monkeypatch.setattr(writer.Writer, "write", counted)
    with Store(f"sqlite:///{tmp_path / 'units.db'}") as store:
        ingest(store, [root], instance="t")
        assert _counts(store) == want
        assert len(units) >= 4 and max(units) < 2 * 5  # flushed once it holds 5: less than a chunk more
        units.clear()
        report = ingest(store, [root], instance="t")
        assert (report.cron_runs, report.subagent_runs) == (0, 0) and units == []
        assert _counts(store) == want


def test_a_failure_between_units_loses_nothing_and_counts_nothing_twice(tmp_path: Path, monkeypatch) -> None:
    """The file's cursor comes after its last run: a run that stops after some of a file's units have
    been committed reads the file again next time, and the runs already stored are upserted by key."""
    root = _state(tmp_path / "state")
    monkeypatch.setattr(writer, "FLUSH_REGISTRY_ROWS", 5)
    monkeypatch.setattr(ingest_registries, "FLUSH_REGISTRY_ROWS", 5)
    write = writer.Writer.write
    seen = [0]

    def failing(self, unit) -> None:  # type: ignore[no-untyped-def]
        if any(kind == "subagent_runs" for kind, _ in unit.registry):
            seen[0] += 1
            if seen[0] == 2:  # the sub-agent runs' second unit
                raise RuntimeError("stopped")
        write(self, unit)

    url = f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setattr(writer.Writer, "write", failing)
    with Store(url) as store:
        try:
            ingest(store, [root], instance="t")
        except RuntimeError:
            pass
        else:
            raise AssertionError("the failure did not happen")
        with store.engine.connect() as conn:
            stored = int(conn.execute(text("SELECT count(*) FROM subagent_runs")).scalar_one())
            cursor = conn.execute(
                text("SELECT count(*) FROM cursors WHERE key LIKE 'subagents:%'")
            ).scalar_one()
        assert 0 < stored < SUBAGENTS and cursor == 0
    monkeypatch.setattr(writer.Writer, "write", write)
    with Store(url) as store:
        ingest(store, [root], instance="t")
        assert _counts(store) == (SUBAGENTS, CRON, CRON)
