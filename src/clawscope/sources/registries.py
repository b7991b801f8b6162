"""Session, cron and sub-agent registries: what OpenClaw knows about sessions beyond transcripts.

`sessions.json` (JSONL era) and `session_nodes.entry_json` (SQLite era) hold the same SessionEntry
shape (format doc §1.4): key, lineage (`spawnedBy`, `parentSessionKey`, `spawnDepth`), channel,
label, status and times. Cron jobs and their run log (§1.5) and the sub-agent run registry (§1.6)
link cron runs and sub-agents to their sessions. These files are small and rewritten in place, so
they are read whole whenever they change; their counters are never used for totals (they disagree
across OpenClaw versions, §9.1), only their links and labels.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import msgspec

from clawscope.model import (
    CronJob,
    CronRun,
    Problem,
    ProblemCode,
    SessionKey,
    SessionKind,
    SessionMeta,
    Severity,
    SourceKind,
    SubagentRun,
)
from clawscope.sources.files import UnreadableError, read_bounded, unreadable
from clawscope.sources.session_keys import parse_session_key
from clawscope.sources.wire import json_error

_JSON = msgspec.json.Decoder()
# When two keys name one transcript (a cron job's base key and its run key), the more specific wins.
_KIND_RANK = {SessionKind.CRON_RUN: 3, SessionKind.SUBAGENT: 2, SessionKind.CRON: 0}


class RegistryResult(msgspec.Struct):
    metas: list[SessionMeta] = msgspec.field(default_factory=list)
    problems: list[Problem] = msgspec.field(default_factory=list)
    session_files: dict[str, str] = msgspec.field(default_factory=dict)  # sessionId -> sessionFile


def load_json(path: str, source: str) -> tuple[Any, Problem | None]:
    """Read a whole JSON file; a problem instead of an exception when it is unreadable or invalid."""
    try:
        data = read_bounded(path)
    except UnreadableError as exc:
        return None, unreadable(source, path, exc.reason)
    try:
        return _JSON.decode(data), None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        return None, Problem(
            source,
            path,
            "file",
            ProblemCode.INVALID_JSON,
            f"invalid JSON: {json_error(exc)}",
            Severity.ERROR,
            data[:2000].decode("utf-8", "replace"),
        )


# `sessions.json` as an object of still-encoded entries: decoded whole, a store of 33,000 sessions (26 MB)
# held its bytes and every entry's dict at once; decoded one entry at a time, its bytes and one entry.
_ENTRIES = msgspec.json.Decoder(dict[str, msgspec.Raw])
_BAD = (UnreadableError, msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def read_sessions_json(path: str, agent_id: str, instance: str) -> RegistryResult:
    """Session metadata from a `sessions.json` store: one SessionMeta per transcript session id."""
    try:
        raw = _ENTRIES.decode(read_bounded(path))
        entries = ((key, _JSON.decode(entry)) for key, entry in raw.items())
        return _read_entries(entries, path, agent_id, instance, RegistryResult())
    except _BAD:
        pass  # not a readable object of valid JSON: read again as any file, to say why
    result = RegistryResult()
    data, problem = load_json(path, "sessions.json")
    if problem is not None:
        result.problems.append(problem)
        return result
    if not isinstance(data, dict):
        result.problems.append(
            Problem(
                "sessions.json", path, "file", ProblemCode.NOT_AN_OBJECT, "sessions.json is not an object"
            )
        )
        return result
    return _read_entries(iter(data.items()), path, agent_id, instance, result)  # (it changed meanwhile)


def _read_entries(
    entries: Iterator[tuple[str, Any]], path: str, agent_id: str, instance: str, result: RegistryResult
) -> RegistryResult:
    best: dict[str, tuple[int, SessionMeta]] = {}
    for key, entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("sessionId"), str):
            result.problems.append(
                Problem(
                    "sessions.json",
                    path,
                    f"key {key}",
                    ProblemCode.MISSING_FIELD,
                    "entry without a sessionId",
                    Severity.WARNING,
                )
            )
            continue
        meta = meta_from_entry(key, entry, agent_id, instance, SourceKind.JSONL)
        rank = _KIND_RANK.get(meta.kind or SessionKind.OTHER, 1)
        if meta.session_id not in best or rank > best[meta.session_id][0]:
            best[meta.session_id] = (rank, meta)
        session_file = entry.get("sessionFile")
        if isinstance(session_file, str):
            result.session_files[meta.session_id] = session_file
    result.metas = [m for _, m in best.values()]
    return result


def meta_from_entry(
    key: str, entry: dict[str, Any], agent_id: str | None, instance: str, source: SourceKind
) -> SessionMeta:
    """A SessionMeta from a session key and its SessionEntry (sessions.json value or entry_json)."""
    sk = parse_session_key(key)
    origin = _dict(entry.get("origin"))
    delivery = _dict(entry.get("deliveryContext"))
    channel = (
        _s(entry.get("channel"))
        or _s(delivery.get("channel"))
        or _s(entry.get("lastChannel"))
        or _s(origin.get("provider"))
        or sk.channel
    )
    parent = _s(entry.get("parentSessionKey")) or _s(entry.get("spawnedBy")) or sk.parent_key
    return SessionMeta(
        session_id=entry["sessionId"],
        instance=instance,
        agent_id=sk.agent_id or agent_id,
        key=key,
        kind=sk.kind,
        trigger=sk.trigger,
        channel=channel,
        chat_type=_s(entry.get("chatType")) or _s(origin.get("chatType")),
        parent_key=parent,
        spawn_depth=_i(entry.get("spawnDepth")) if _i(entry.get("spawnDepth")) is not None else _depth(sk),
        label=_s(entry.get("label")),
        display_name=_s(entry.get("displayName")),
        status=_s(entry.get("status")),
        started_ms=_i(entry.get("startedAt")) or _i(entry.get("sessionStartedAt")),
        ended_ms=_i(entry.get("endedAt")),
        updated_ms=_i(entry.get("updatedAt")),
        model_provider=_s(entry.get("modelProvider")),
        model=_s(entry.get("model")),
        elevated_level=_s(entry.get("elevatedLevel")),
        created_via=_s(entry.get("createdVia")),
        subagent_role=_s(entry.get("subagentRole")),
        job_id=sk.job_id,
        source=source,
    )


def _depth(sk: SessionKey) -> int | None:
    return sk.spawn_depth if sk.kind == SessionKind.SUBAGENT else None


def read_cron_jobs(path: str, instance: str) -> tuple[list[CronJob], list[Problem]]:
    data, problem = load_json(path, "cron/jobs.json")
    if problem is not None:
        return [], [problem]
    jobs_raw = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs_raw, list):
        return [], [Problem("cron/jobs.json", path, "file", ProblemCode.BAD_REGISTRY, "no jobs list")]
    return [job for job in (cron_job(j, instance) for j in jobs_raw) if job is not None], []


def cron_job(j: Any, instance: str, agent_id: str | None = None) -> CronJob | None:
    if not isinstance(j, dict) or not isinstance(j.get("id"), str):
        return None
    schedule = _dict(j.get("schedule"))
    state = _dict(j.get("state"))
    return CronJob(
        job_id=j["id"],
        instance=instance,
        agent_id=_s(j.get("agentId")) or agent_id,
        name=_s(j.get("name")),
        enabled=j.get("enabled") if isinstance(j.get("enabled"), bool) else None,
        schedule_kind=_s(schedule.get("kind")),
        schedule=msgspec.json.encode(schedule).decode() if schedule else None,
        session_target=_s(j.get("sessionTarget")),
        created_ms=_i(j.get("createdAtMs")),
        updated_ms=_i(j.get("updatedAtMs")),
        last_status=_s(state.get("lastStatus")),
        consecutive_errors=_i(state.get("consecutiveErrors")),
    )


def read_cron_runs(path: str, instance: str) -> tuple[list[CronRun], list[Problem]]:
    """A cron run log (`cron/runs/<jobId>.jsonl`): one line per finished run."""
    runs: list[CronRun] = []
    problems: list[Problem] = []
    try:
        lines = read_bounded(path).split(b"\n")
    except UnreadableError as exc:
        return [], [unreadable("cron/runs", path, exc.reason)]
    job_default = os.path.basename(path).removesuffix(".jsonl")
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = _JSON.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            problems.append(
                Problem(
                    "cron/runs",
                    path,
                    f"line {n}",
                    ProblemCode.INVALID_JSON,
                    f"invalid JSON: {json_error(exc)}",
                    Severity.ERROR,
                    raw[:2000].decode("utf-8", "replace"),
                )
            )
            continue
        run = cron_run(obj, instance, job_default)
        if run is None:
            problems.append(
                Problem(
                    "cron/runs",
                    path,
                    f"line {n}",
                    ProblemCode.MISSING_FIELD,
                    "run line without ts",
                    Severity.WARNING,
                    raw[:2000].decode("utf-8", "replace"),
                )
            )
        else:
            runs.append(run)
    return runs, problems


def cron_run(obj: Any, instance: str, job_default: str | None = None) -> CronRun | None:
    if not isinstance(obj, dict) or _i(obj.get("ts")) is None:
        return None
    usage = _dict(obj.get("usage"))
    job = _s(obj.get("jobId")) or job_default
    if job is None:
        return None
    return CronRun(
        job_id=job,
        instance=instance,
        ts_ms=_i(obj["ts"]) or 0,
        status=_s(obj.get("status")),
        action=_s(obj.get("action")),
        summary=_s(obj.get("summary")),
        error=_s(obj.get("error")),
        session_id=_s(obj.get("sessionId")),
        session_key=_s(obj.get("sessionKey")),
        run_at_ms=_i(obj.get("runAtMs")),
        duration_ms=_i(obj.get("durationMs")),
        model=_s(obj.get("model")),
        provider=_s(obj.get("provider")),
        input_tokens=_i(usage.get("input_tokens", usage.get("input"))),
        output_tokens=_i(usage.get("output_tokens", usage.get("output"))),
        total_tokens=_i(usage.get("total_tokens", usage.get("totalTokens"))),
        delivered=obj.get("delivered") if isinstance(obj.get("delivered"), bool) else None,
        delivery_status=_s(obj.get("deliveryStatus")),
    )


def cron_run_meta(run: CronRun, agent_id: str | None) -> SessionMeta | None:
    """What a cron run log line says about its session (the key may be gone from the store)."""
    if not run.session_id:
        return None
    sk = parse_session_key(run.session_key) if run.session_key else None
    return SessionMeta(
        session_id=run.session_id,
        instance=run.instance,
        agent_id=(sk.agent_id if sk else None) or agent_id,
        key=run.session_key,
        kind=sk.kind if sk else SessionKind.CRON_RUN,
        trigger=sk.trigger if sk else None,
        job_id=run.job_id,
        source=SourceKind.JSONL,
    )


def read_subagent_runs(path: str, instance: str) -> tuple[list[SubagentRun], list[Problem]]:
    """The sub-agent runs of `subagents/runs.json`, each run's object decoded on its own (as
    `read_sessions_json` does: 30 MB of runs decoded whole held 120 MB of dicts at once)."""
    try:
        runs = _ENTRIES.decode(_ENTRIES.decode(read_bounded(path))["runs"])
        return [
            r for r in (subagent_run(_JSON.decode(v), instance) for v in runs.values()) if r is not None
        ], []
    except (*_BAD, KeyError):
        pass  # not an object with an object of runs: read again as any file, to say why
    data, problem = load_json(path, "subagents/runs.json")
    if problem is not None:
        return [], [problem]
    runs_raw = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs_raw, dict):
        return [], [Problem("subagents/runs.json", path, "file", ProblemCode.BAD_REGISTRY, "no runs object")]
    return [r for r in (subagent_run(v, instance) for v in runs_raw.values()) if r is not None], []


def subagent_run(r: Any, instance: str) -> SubagentRun | None:
    if not isinstance(r, dict) or not isinstance(r.get("runId"), str):
        return None
    outcome = r.get("outcome")
    return SubagentRun(
        run_id=r["runId"],
        instance=instance,
        child_session_key=_s(r.get("childSessionKey")),
        requester_session_key=_s(r.get("requesterSessionKey")),
        controller_session_key=_s(r.get("controllerSessionKey")),
        task=_s(r.get("task")),
        label=_s(r.get("label")),
        model=_s(r.get("model")),
        spawn_mode=_s(r.get("spawnMode")),
        created_ms=_i(r.get("createdAt")),
        started_ms=_i(r.get("startedAt")),
        ended_ms=_i(r.get("endedAt")),
        outcome=_s(_dict(outcome).get("status")) if isinstance(outcome, dict) else _s(outcome),
        ended_reason=_s(r.get("endedReason")),
    )


def cron_run_files(cron_dir: str) -> Iterator[str]:
    runs = os.path.join(cron_dir, "runs")
    try:
        names = sorted(os.listdir(runs))
    except OSError:
        return
    for name in names:
        if name.endswith(".jsonl"):
            yield os.path.join(runs, name)


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _i(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return int(v)
