"""Work that runs without the owner typing: sub-agents spawned by a turn, and cron jobs.

A sub-agent is written the moment its spawn is accepted, as its own transcript with its own key
(`agent:<id>:subagent:<uuid>`, `spawnedBy` the parent) and a `subagents/runs.json` entry; the parent
later receives its completion announce. A cron run is an isolated session whose store entry appears
under both `agent:<id>:cron:<jobId>:run:<sessionId>` and (for the latest run) `agent:<id>:cron:<jobId>`,
plus one line in the job's run log with OpenClaw's snake_case usage keys (format doc §1.5, §3).
"""

from __future__ import annotations

from typing import Any

from clawscope.demo import phrases
from clawscope.demo.catalog import Model
from clawscope.demo.clock import current_time_line, envelope
from clawscope.demo.context import AgentContext, Opened
from clawscope.demo.conversation import Child, Turn, pick_steps, run_turn
from clawscope.demo.entries import WORKSPACE, Summary
from clawscope.demo.ids import Rng, uuid4
from clawscope.demo.scenario import CronJob
from clawscope.demo.session import SessionWriter


class SubagentSpawner:
    """Writes sub-agent sessions for one agent as its turns spawn them."""

    def __init__(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.count = 0

    def prepare(self, parent: SessionWriter, task: str) -> Child:
        rng = parent.rng
        self.count += 1
        slug = task.split(maxsplit=1)[0].lower().strip(",.")
        model = self.ctx.profile.subagent_model
        return Child(
            key=f"agent:{self.ctx.agent_id}:subagent:{uuid4(rng)}",
            session_id=uuid4(rng),
            run_id=uuid4(rng),
            task=task,
            label=f"{slug}-{self.count}",
            model_ref=model.ref,
        )

    def run(self, parent: SessionWriter, child: Child, start_ms: int) -> None:
        ctx = self.ctx
        rng = Rng(parent.rng.getrandbits(64))
        parent_key = parent.key
        o = ctx.open_session(
            rng, child.session_id, "subagent", child.key, ctx.profile.subagent_model, system_scale=0.7
        )
        o.label, o.parent_key, o.last_run_id = child.label, parent_key, child.run_id
        w = o.writer
        child.start_ms = start_ms
        ts = w.start(start_ms, WORKSPACE)
        o.run_started_ms = ts
        reply = child.result
        turn = Turn(
            _task_text(ctx.version, child.task, envelope(ts, ctx.profile.tz_offset_h)),
            "",
            run_id=child.run_id,
            owner=False,
            steps=pick_steps(rng, 1, 5),
            reply=reply,
            retries=1 if rng.random() < 0.04 else 0,
        )
        ts, _ = run_turn(w, ts, turn, None)
        summary = ctx.close_session(o)
        child.end_ms = ts
        child.tokens_in, child.tokens_out = w.run.input + w.run.cache_read + w.run.cache_write, w.run.output
        self.registry(summary, child, parent_key)

    def registry(self, s: Summary, child: Child, parent_key: str) -> None:
        """The sub-agent run registry's record of a finished child."""
        started = child.start_ms
        self.ctx.sink.subagent_run(
            {
                "runId": child.run_id,
                "childSessionKey": child.key,
                "controllerSessionKey": parent_key,
                "requesterSessionKey": parent_key,
                "requesterOrigin": {"channel": "webchat"},
                "requesterDisplayKey": parent_key,
                "task": child.task,
                "cleanup": "keep",
                "expectsCompletionMessage": True,
                "spawnMode": "run",
                "label": child.label,
                "model": child.model_ref,
                "workspaceDir": WORKSPACE,
                "runTimeoutSeconds": 0,
                "createdAt": started - 200,
                "startedAt": started,
                "sessionStartedAt": started - 200,
                "accumulatedRuntimeMs": 0,
                "cleanupHandled": True,
                "retainAttachmentsOnKeep": False,
                "endedAt": s.ended_ms,
                "outcome": {"status": "ok"},
                "endedReason": "subagent-complete",
                "frozenResultText": child.result,
                "frozenResultCapturedAt": s.ended_ms + 50,
                "endedHookEmittedAt": s.ended_ms + 160,
                "cleanupCompletedAt": s.ended_ms + 161,
            }
        )


def _task_text(version: int, task: str, env: str) -> str:
    if version >= 4:
        return (
            "[Subagent Context] You are running as a subagent (depth 1/5). Complete the current [Subagent "
            "Task]; "
            "inherited conversation is background context, not your assignment.\n\n[Subagent Task]\n\n"
            f"{task}\n\nBegin. Execute the assigned task to completion."
        )
    return (
        f"{env} [Subagent Context] You are running as a subagent (depth 1/1). Results auto-announce to your "
        f"requester; do not busy-poll for status.\n\n[Subagent Task]: {task}"
    )


def run_cron_job(ctx: AgentContext, job: CronJob) -> dict[str, Any]:
    """All runs of one job; returns the job's `cron/jobs.json` record."""
    base_key = f"agent:{ctx.agent_id}:cron:{job.job_id}"
    errors = 0
    last: tuple[Summary, bool, int, int] | None = None
    for i, run_ms in enumerate(job.runs):
        next_run = job.runs[i + 1] if i + 1 < len(job.runs) else run_ms + _every(job)
        summary, failed, duration = _cron_run(ctx, job, i, run_ms, next_run)
        errors = errors + 1 if failed else 0
        last = (summary, failed, run_ms, duration)
    assert last is not None, "a planned job has at least one run"
    summary, failed, run_ms, duration = last
    ctx.node(summary, "failed" if failed else "done", key=base_key)  # the job key names its latest run
    status = "error" if failed else "ok"
    return _job_record(ctx, job, status=status, last_run=run_ms, duration=duration, errors=errors)


def _cron_run(
    ctx: AgentContext, job: CronJob, i: int, run_ms: int, next_run: int
) -> tuple[Summary, bool, int]:
    """One isolated run: its transcript, its store entry under the run key, its run-log line."""
    rng = ctx.rng("cron", job.job_id, i)
    sid = uuid4(rng)
    model = job.model or ctx.profile.primary
    o = ctx.open_session(
        rng, sid, "cron", f"agent:{ctx.agent_id}:cron:{job.job_id}:run:{sid}", model, system_scale=0.6
    )
    o.label, o.last_run_id = f"Cron: {job.name}", uuid4(rng)
    w = o.writer
    ts = o.run_started_ms = w.start(run_ms + rng.randint(60, 400), WORKSPACE)
    text = f"[cron:{job.job_id} {job.name}] {job.message}\n{current_time_line(ts, ctx.profile.tz_offset_h)}"
    failed = rng.random() < 0.03
    turn = Turn(
        text,
        "",
        run_id=o.last_run_id,
        owner=False,
        steps=pick_steps(rng, 1, 3),
        reply=job.reply,
        fail_all=failed,
        retries=1 if rng.random() < 0.03 else 0,
    )
    ts, _ = run_turn(w, ts, turn, None)
    summary = ctx.close_session(o, status="failed" if failed else "done")
    ctx.sink.cron_run(
        job.job_id, _log_line(job, o, model, run_ms=run_ms, end_ms=ts, next_run=next_run, failed=failed)
    )
    return summary, failed, ts - run_ms


def _log_line(
    job: CronJob, o: Opened, model: Model, *, run_ms: int, end_ms: int, next_run: int, failed: bool
) -> dict[str, Any]:
    """A `cron/runs/<jobId>.jsonl` line, in the key order of the real one."""
    line: dict[str, Any] = {
        "ts": end_ms + 15,
        "jobId": job.job_id,
        "action": "finished",
        "status": "error" if failed else "ok",
    }
    if failed:
        line["error"] = "All models failed: " + phrases.ERROR_MESSAGES[0]
    else:
        line["summary"] = job.reply
    line.update(
        {
            "delivered": False,
            "deliveryStatus": "not-delivered",
            "sessionId": o.writer.session_id,
            "sessionKey": o.key,
            "runAtMs": run_ms,
            "durationMs": end_ms - run_ms,
            "nextRunAtMs": next_run,
            "model": model.id,
            "provider": model.provider,
        }
    )
    if not failed:  # snake_case, unlike transcripts; total_tokens is the last call's context (observed)
        r = o.writer.run
        line["usage"] = {"input_tokens": r.input, "output_tokens": r.output, "total_tokens": r.last_context}
    return line


def _every(job: CronJob) -> int:
    every = job.schedule.get("everyMs")
    return every if isinstance(every, int) else 86_400_000


def _job_record(
    ctx: AgentContext, job: CronJob, *, status: str, last_run: int, duration: int, errors: int
) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": job.job_id}
    if ctx.plan.index > 0:
        rec["agentId"] = ctx.agent_id
    payload: dict[str, Any] = {"kind": "agentTurn", "message": job.message}
    if job.model is not None:
        payload["model"] = job.model.ref
    rec.update(
        {
            "name": job.name,
            "enabled": True,
            "createdAtMs": job.created_ms,
            "updatedAtMs": last_run + duration + 10,
            "schedule": job.schedule,
            "sessionTarget": "isolated",
            "wakeMode": "now",
            "payload": payload,
            "delivery": {"mode": "none", "channel": "last"},
            "state": {
                "nextRunAtMs": last_run + _every(job),
                "lastRunAtMs": last_run,
                "lastRunStatus": status,
                "lastStatus": status,
                "lastDurationMs": duration,
                "lastDelivered": False,
                "lastDeliveryStatus": "not-delivered",
                "consecutiveErrors": errors,
            },
        }
    )
    return rec
