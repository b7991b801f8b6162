"""A judge pass: which sessions to ask about, the cache, the limits, and the findings it stores.

`judge(store, cfg, session_ids, on_demand=…)`: for each of the four semantic families, the sessions
whose open offline findings of that family are uncertain (evidence `uncertain`, or a confidence under
`uncertain_below`) are judged; `on_demand` (`clawscope detect --judge`) judges every session in scope.
Per (session, family): the verdict cached under the same key is reused (no call); otherwise one call,
at most `concurrency` in flight, none once the day's judge spend plus the call's estimate would pass
`daily_cap_usd`. A "yes" is stored as a finding of detector `<family>.judge` (evidence `tier: judge`,
the model, the prompt version, the reason, the responsible agent and step); a "no" or "unsure" stores
none (the offline finding, if any, stays). A failed, timed-out, invalid or capped call stores nothing
and changes nothing: the offline verdict stands, and the report carries a note saying why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from clawscope.detect.judge import prompts
from clawscope.detect.judge.client import Answer, JudgeError, ask
from clawscope.detect.judge.config import JudgeConfig
from clawscope.model.detection import Finding, FindingSeverity, SessionView
from clawscope.store import FindingQuery, JudgeCall, Store

DAY_MS = 86_400_000
VERSION = 1


@dataclass
class JudgeReport:
    asked: int = 0  # calls made
    cached: int = 0  # verdicts reused from the cache
    found: int = 0  # "yes" verdicts stored as findings
    fallbacks: int = 0  # calls that failed, timed out, were invalid or capped: offline verdict kept
    notes: list[str] = field(default_factory=list)
    spend: dict[str, Any] = field(default_factory=dict)  # the judge's own tokens and cost today

    def as_json(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "cached": self.cached,
            "found": self.found,
            "fallbacks": self.fallbacks,
            "notes": self.notes,
            "spendToday": self.spend,
        }


@dataclass(frozen=True)
class _Job:
    view: SessionView
    family: str
    content: list[dict[str, str]]
    key: str


def candidates(
    store: Store, cfg: JudgeConfig, session_ids: Sequence[str], on_demand: bool
) -> dict[str, list[str]]:
    """Session id → the families to judge there."""
    if on_demand:
        return {sid: list(prompts.FAMILIES) for sid in session_ids}
    out: dict[str, list[str]] = {}
    found = store.findings.of_sessions(
        list(session_ids), FindingQuery(status="open", families=prompts.FAMILIES)
    )
    for f in found:
        if f.detector.endswith(".judge"):
            continue
        if f.evidence.get("uncertain") is True or f.confidence < cfg.uncertain_below:
            fams = out.setdefault(f.session_id, [])
            if f.family not in fams:
                fams.append(f.family)
    return out


def judge(
    store: Store,
    cfg: JudgeConfig,
    session_ids: Sequence[str],
    *,
    on_demand: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> JudgeReport:
    report = JudgeReport()
    todo = candidates(store, cfg, session_ids, on_demand)
    day = store.clock() - store.clock() % DAY_MS
    spent = store.judge.spent_since(day)
    reserved = 0.0
    jobs: list[_Job] = []
    verdicts: dict[tuple[str, str], prompts.Verdict | None] = {}
    for view in store.detection.views(sorted(todo)):
        sid = view.session.session_id
        for family in todo[sid]:
            content = prompts.messages(view, family, cfg.max_chars)
            key = prompts.cache_key(cfg.model, family, content)
            hit = store.judge.cached(key)
            if hit is not None:
                report.cached += 1
                verdicts[(sid, family)] = prompts.parse(hit, view)
                continue
            estimate = cfg.cost(sum(len(m["content"]) for m in content) // 3, cfg.max_output_tokens)
            if spent + reserved + estimate > cfg.daily_cap_usd:
                _fallback(store, report, cfg, key, sid, family, "capped", "daily judge spend cap reached")
                continue
            reserved += estimate
            jobs.append(_Job(view, family, content, key))
    with (
        httpx.Client(timeout=cfg.timeout_s, transport=transport) as client,
        ThreadPoolExecutor(max_workers=cfg.concurrency) as pool,
    ):
        futures: list[tuple[_Job, Future[Answer]]] = [
            (j, pool.submit(ask, cfg, j.content, client)) for j in jobs
        ]
        for job, fut in futures:  # stored from this thread only, in submission order
            verdicts[(job.view.session.session_id, job.family)] = _settle(store, report, cfg, job, fut)
    views = {v.session.session_id: v for v in store.detection.views(sorted({s for s, _ in verdicts}))}
    for (sid, family), verdict in sorted(verdicts.items()):
        if verdict is None or sid not in views:
            continue  # failed: nothing changes
        found = [_finding(views[sid], family, verdict, cfg)] if verdict.verdict == "yes" else []
        report.found += len(found)
        store.findings.sync([(sid, found)], [f"{family}.judge"])
    report.spend = store.judge.totals(day)
    return report


def _settle(
    store: Store, report: JudgeReport, cfg: JudgeConfig, job: _Job, fut: Future[Answer]
) -> prompts.Verdict | None:
    sid = job.view.session.session_id
    try:
        answer = fut.result()
    except JudgeError as exc:
        _fallback(store, report, cfg, job.key, sid, job.family, exc.kind, exc.note)
        return None
    report.asked += 1
    cost = cfg.cost(answer.input_tokens, answer.output_tokens)
    base = JudgeCall(
        job.key, sid, job.family, prompts.PROMPT_VERSION, cfg.model, "ok",
        input_tokens=answer.input_tokens, output_tokens=answer.output_tokens, cost_usd=cost,
    )  # fmt: skip
    try:
        verdict = prompts.parse(answer.text, job.view)
    except prompts.InvalidVerdictError as exc:
        store.judge.record(JudgeCall(**{**base.__dict__, "outcome": "invalid", "note": str(exc)[:300]}))
        report.fallbacks += 1
        report.notes.append(f"{sid} {job.family}: invalid verdict ({exc}); offline verdict kept")
        return None
    text = json.dumps({**_plain(verdict)}, ensure_ascii=False)
    store.judge.record(JudgeCall(**{**base.__dict__, "verdict": text}))
    return verdict


def _fallback(
    store: Store, report: JudgeReport, cfg: JudgeConfig, key: str, sid: str, family: str, kind: str, note: str
) -> None:
    store.judge.record(JudgeCall(key, sid, family, prompts.PROMPT_VERSION, cfg.model, kind, note=note))
    report.fallbacks += 1
    report.notes.append(f"{sid} {family}: {note}; offline verdict kept")


def _plain(v: prompts.Verdict) -> dict[str, Any]:
    return {
        "verdict": v.verdict,
        "confidence": v.confidence,
        "entryIds": v.entry_ids,
        "responsibleAgent": v.responsible_agent,
        "step": v.step,
        "reason": v.reason,
    }


class _JudgeDetector:
    """The identity judge findings are stored under (`<family>.judge`); it runs nowhere by itself."""

    def __init__(self, family: str) -> None:
        self.id = f"{family}.judge"
        self.version = VERSION
        self.family = family


def _finding(view: SessionView, family: str, v: prompts.Verdict, cfg: JudgeConfig) -> Finding:
    from clawscope.detect.semantic import make_finding

    last = view.entries[-1].entry_id if view.entries else "session"
    anchor = v.step or (v.entry_ids[0] if v.entry_ids else last)
    return make_finding(
        _JudgeDetector(family),
        view,
        anchor=anchor,
        entry_ids=v.entry_ids,
        severity=FindingSeverity.WARNING,
        confidence=v.confidence,
        message=f"judge ({cfg.model}): {v.reason}"[:300],
        evidence={
            "tier": "judge",
            "model": cfg.model,
            "promptVersion": prompts.PROMPT_VERSION,
            "reason": v.reason,
            "responsibleAgent": v.responsible_agent,
            "step": v.step,
        },
    )
