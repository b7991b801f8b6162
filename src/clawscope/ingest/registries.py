"""Ingest of the registries: cron jobs and runs, sub-agent runs (JSON files, or `state/openclaw.sqlite`).

They are small and rewritten in place, so each is read whole when its signature (size, mtime)
changed since the last run.
"""

from __future__ import annotations

import os
from pathlib import Path

from clawscope.ingest.run import Run
from clawscope.model import CronRun, SubagentRun
from clawscope.sources import openclaw_sqlite as sq
from clawscope.sources.registries import (
    cron_run_files,
    cron_run_meta,
    read_cron_jobs,
    read_cron_runs,
    read_subagent_runs,
)
from clawscope.sources.state_db import read_state_db
from clawscope.store import FLUSH_REGISTRY_ROWS


def changed(run: Run, key: str, path: str) -> str | None:
    """The file's signature if it changed since its cursor (None when unchanged or missing)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    sig = f"{st.st_size}:{st.st_mtime_ns}"
    return None if run.cursor_json(key) == sig else sig


def ingest_registries(run: Run, state_dir: Path) -> None:
    w = run.writer
    jobs = str(state_dir / "cron" / "jobs.json")
    if sig := changed(run, "cronjobs:" + jobs, jobs):
        found, problems = read_cron_jobs(jobs, run.instance)
        w.add_registry("cron_jobs", found)
        w.add_problems(problems)
        w.set_cursor("cronjobs:" + jobs, sig)
    for path in cron_run_files(str(state_dir / "cron")):
        if sig := changed(run, "cronruns:" + path, path):
            runs, problems = read_cron_runs(path, run.instance)
            _add_runs(run, "cron_runs", runs)
            w.add_problems(problems)
            w.set_cursor("cronruns:" + path, sig)
            del runs
    subs = str(state_dir / "subagents" / "runs.json")
    if sig := changed(run, "subagents:" + subs, subs):
        run.settle()  # the cron runs' units freed before the file and its runs are held (4×: 40 MB)
        found_runs, problems = read_subagent_runs(subs, run.instance)
        _add_runs(run, "subagent_runs", found_runs)
        w.add_problems(problems)
        w.set_cursor("subagents:" + subs, sig)
    state_db = str(state_dir / "state" / "openclaw.sqlite")
    if os.path.exists(state_db) and (sig := sq.db_signature(state_db)) != run.cursor_json(
        "statedb:" + state_db
    ):
        reg = read_state_db(state_db, run.instance)
        w.add_registry("cron_jobs", reg.cron_jobs)
        _add_runs(run, "cron_runs", reg.cron_runs)
        _add_runs(run, "subagent_runs", reg.subagent_runs)
        w.add_problems(reg.problems)
        w.set_cursor("statedb:" + state_db, sig)


def _add_runs(run: Run, kind: str, found: list[CronRun] | list[SubagentRun]) -> None:
    """Hand runs to the writer a unit's worth at a time (`FLUSH_REGISTRY_ROWS`), each unit written
    while the next fills, instead of every run of a history waiting for one transaction. The file's
    cursor is set after its last run: a crash in between reads the file again, and its runs are
    upserted by key, so nothing counts twice."""
    step = FLUSH_REGISTRY_ROWS
    for i in range(0, len(found), step):
        chunk = found[i : i + step]
        run.writer.add_registry(kind, chunk)
        metas = (cron_run_meta(r, None) for r in chunk if isinstance(r, CronRun))  # its session's
        run.writer.add_meta(m for m in metas if m is not None)
        run.maybe_flush()
