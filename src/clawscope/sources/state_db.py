"""Reads the gateway's shared `state/openclaw.sqlite` (OpenClaw ≥ 2026.7): cron and sub-agent registries.

From 2026.7.x the cron store, the cron run log and the sub-agent registry moved out of
`cron/jobs.json`, `cron/runs/*.jsonl` and `subagents/runs.json` into tables of this database
(format doc §9.1, verified on 2026.7.35). Each table keeps the former JSON record whole
(`cron_jobs.job_json`, `cron_run_logs.entry_json`, `subagent_runs.payload_json`), so the JSONL-era
parsers read them unchanged; the typed columns fill in what an older record lacks.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from clawscope.model import CronJob, CronRun, Problem, ProblemCode, Severity, SubagentRun
from clawscope.sources.openclaw_sqlite import open_readonly
from clawscope.sources.registries import cron_job, cron_run, subagent_run
from clawscope.sources.wire import json_error

_JSON = msgspec.json.Decoder()
SOURCE = "state/openclaw.sqlite"


class StateRegistries(msgspec.Struct):
    cron_jobs: list[CronJob] = msgspec.field(default_factory=list)
    cron_runs: list[CronRun] = msgspec.field(default_factory=list)
    subagent_runs: list[SubagentRun] = msgspec.field(default_factory=list)
    problems: list[Problem] = msgspec.field(default_factory=list)


def read_state_db(path: str, instance: str) -> StateRegistries:
    out = StateRegistries()
    try:
        with open_readonly(path) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "cron_jobs" in tables:
                _jobs(conn, path, instance, out)
            if "cron_run_logs" in tables:
                _runs(conn, path, instance, out)
            elif "task_runs" in tables:  # 2026.9: the run log became task_runs rows (runtime 'cron')
                _task_runs(conn, path, instance, out)
            if "subagent_runs" in tables:
                _subagents(conn, path, instance, out)
    except sqlite3.DatabaseError as exc:
        out.problems.append(Problem(SOURCE, path, "file", ProblemCode.UNREADABLE, f"cannot read: {exc}"))
    return out


def _rows(
    conn: sqlite3.Connection, table: str, json_col: str, extra: tuple[str, ...]
) -> list[dict[str, Any]]:
    cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    wanted = [c for c in (json_col, *extra) if c in cols]
    cur = conn.execute(f"SELECT {', '.join(wanted)} FROM {table}")
    return [dict(zip(wanted, row, strict=True)) for row in cur]


def _decode(row: dict[str, Any], col: str, where: str, path: str, out: StateRegistries) -> dict[str, Any]:
    raw = row.get(col)
    if raw is None:
        return {}
    try:
        obj = _JSON.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        out.problems.append(
            Problem(
                SOURCE,
                path,
                where,
                ProblemCode.INVALID_JSON,
                f"invalid {col}: {json_error(exc)}",
                Severity.WARNING,
                str(raw)[:2000],
            )
        )
        return {}
    return obj if isinstance(obj, dict) else {}


def _jobs(conn: sqlite3.Connection, path: str, instance: str, out: StateRegistries) -> None:
    for row in _rows(conn, "cron_jobs", "job_json", ("job_id", "name", "enabled", "agent_id")):
        obj = _decode(row, "job_json", f"cron_jobs {row.get('job_id')}", path, out)
        obj.setdefault("id", row.get("job_id"))
        obj.setdefault("name", row.get("name"))
        job = cron_job(obj, instance, row.get("agent_id"))
        if job is not None:
            out.cron_jobs.append(job)


def _runs(conn: sqlite3.Connection, path: str, instance: str, out: StateRegistries) -> None:
    extra = ("job_id", "seq", "ts", "status", "session_id", "session_key", "model", "provider", "duration_ms")
    for row in _rows(conn, "cron_run_logs", "entry_json", extra):
        where = f"cron_run_logs {row.get('job_id')} seq {row.get('seq')}"
        obj = _decode(row, "entry_json", where, path, out)
        for col, key in (
            ("ts", "ts"),
            ("status", "status"),
            ("session_id", "sessionId"),
            ("session_key", "sessionKey"),
            ("model", "model"),
            ("provider", "provider"),
            ("duration_ms", "durationMs"),
        ):
            if row.get(col) is not None:
                obj.setdefault(key, row[col])
        run = cron_run(obj, instance, row.get("job_id"))
        if run is None:
            out.problems.append(
                Problem(SOURCE, path, where, ProblemCode.MISSING_FIELD, "run without ts", Severity.WARNING)
            )
        else:
            out.cron_runs.append(run)


def _task_runs(conn: sqlite3.Connection, path: str, instance: str, out: StateRegistries) -> None:
    """2026.9.x keeps a finished cron run as a `task_runs` row whose `detail_json` is the former run-log
    line (`kind: "cron-run"`): job id in `source_id`, the run's session key in `child_session_key`."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(task_runs)")}
    if not {"runtime", "detail_json", "source_id"} <= cols:
        return
    extra = [c for c in ("task_id", "child_session_key", "status", "created_at", "ended_at") if c in cols]
    sql = f"SELECT detail_json, source_id, {', '.join(extra)} FROM task_runs WHERE runtime = 'cron'"
    for values in conn.execute(sql):
        row = dict(zip(["detail_json", "source_id", *extra], values, strict=True))
        where = f"task_runs {row.get('task_id')}"
        obj = _decode(row, "detail_json", where, path, out)
        if obj.get("kind") not in (None, "cron-run"):
            continue
        obj.setdefault("jobId", row.get("source_id"))
        obj.setdefault("sessionKey", row.get("child_session_key"))
        obj.setdefault("ts", row.get("ended_at") or obj.get("runAtMs") or row.get("created_at"))
        run = cron_run(obj, instance, row.get("source_id"))
        if run is None:
            out.problems.append(
                Problem(
                    SOURCE, path, where, ProblemCode.MISSING_FIELD, "cron run without ts", Severity.WARNING
                )
            )
        else:
            out.cron_runs.append(run)


def _subagents(conn: sqlite3.Connection, path: str, instance: str, out: StateRegistries) -> None:
    extra = (
        "run_id",
        "child_session_key",
        "requester_session_key",
        "controller_session_key",
        "task",
        "label",
        "model",
        "spawn_mode",
        "created_at",
        "started_at",
        "ended_at",
        "ended_reason",
        "outcome_json",
    )
    for row in _rows(conn, "subagent_runs", "payload_json", extra):
        obj = _decode(row, "payload_json", f"subagent_runs {row.get('run_id')}", path, out)
        for col, key in (
            ("run_id", "runId"),
            ("child_session_key", "childSessionKey"),
            ("requester_session_key", "requesterSessionKey"),
            ("controller_session_key", "controllerSessionKey"),
            ("task", "task"),
            ("label", "label"),
            ("model", "model"),
            ("spawn_mode", "spawnMode"),
            ("created_at", "createdAt"),
            ("started_at", "startedAt"),
            ("ended_at", "endedAt"),
            ("ended_reason", "endedReason"),
        ):
            if row.get(col) is not None:
                obj.setdefault(key, row[col])
        if "outcome" not in obj and row.get("outcome_json"):
            obj["outcome"] = _decode(row, "outcome_json", f"subagent_runs {row.get('run_id')}", path, out)
        run = subagent_run(obj, instance)
        if run is not None:
            out.subagent_runs.append(run)
