"""Ingest of the registries: cron jobs and runs, sub-agent runs (JSON files, or `state/openclaw.sqlite`).

They are small and rewritten in place, so each is read whole when its signature (size, mtime)
changed since the last run.
"""

from __future__ import annotations

import os
from pathlib import Path

from clawscope.ingest.run import Run
from clawscope.sources import openclaw_sqlite as sq
from clawscope.sources.registries import (
    cron_run_files,
    cron_run_meta,
    read_cron_jobs,
    read_cron_runs,
    read_subagent_runs,
)
from clawscope.sources.state_db import read_state_db


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
            w.add_registry("cron_runs", runs)
            w.add_meta(m for m in (cron_run_meta(r, None) for r in runs) if m is not None)
            w.add_problems(problems)
            w.set_cursor("cronruns:" + path, sig)
    subs = str(state_dir / "subagents" / "runs.json")
    if sig := changed(run, "subagents:" + subs, subs):
        found_runs, problems = read_subagent_runs(subs, run.instance)
        w.add_registry("subagent_runs", found_runs)
        w.add_problems(problems)
        w.set_cursor("subagents:" + subs, sig)
    state_db = str(state_dir / "state" / "openclaw.sqlite")
    if os.path.exists(state_db) and (sig := sq.db_signature(state_db)) != run.cursor_json(
        "statedb:" + state_db
    ):
        reg = read_state_db(state_db, run.instance)
        w.add_registry("cron_jobs", reg.cron_jobs)
        w.add_registry("cron_runs", reg.cron_runs)
        w.add_registry("subagent_runs", reg.subagent_runs)
        w.add_meta(m for m in (cron_run_meta(r, None) for r in reg.cron_runs) if m is not None)
        w.add_problems(reg.problems)
        w.set_cursor("statedb:" + state_db, sig)
