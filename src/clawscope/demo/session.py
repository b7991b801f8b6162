"""One transcript being written: its entry chain, its context and prompt cache, its counters.

`SessionWriter` turns story steps ("the user said…", "the model called exec", "context compacted")
into records, hands them to the sink and counts them in the totals at the same moment, so the
totals are exactly what was written. It also models what decides tokens and money: the context grows
with every message, the provider's prompt cache turns repeated context into cheap `cacheRead`
tokens while it is warm (five minutes), and a compaction shrinks the context again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from clawscope.demo import records
from clawscope.demo.catalog import Model
from clawscope.demo.ids import EntryIds, response_id, sha_like, signature, uuid4
from clawscope.demo.jsonfmt import ZERO_USAGE, Priced, usage_fragment
from clawscope.demo.sink import Sink
from clawscope.demo.tools import ToolOutcome, wrap
from clawscope.demo.totals import DemoTotals, Tally
from clawscope.model import KIND_TRIGGER, SessionKind, Trigger

CACHE_TTL_MS = 300_000
NEAR_WINDOW = 0.8  # a prompt this close to the model's window is labelled context pressure
_FROZEN_KEEP = 6


@dataclass(slots=True)
class RunStats:
    """Per-run sums, for the session store's (deliberately unreliable) counters."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cost: float = 0.0
    last_context: int = 0


class SessionWriter:
    """Writes one session's records in order, keeping OpenClaw's `id`/`parentId` chain."""

    def __init__(
        self,
        *,
        sink: Sink,
        totals: DemoTotals,
        rng: random.Random,
        session_id: str,
        agent_id: str,
        key: str,
        kind: str,
        model: Model,
        thinking: str,
        system_tokens: int,
    ) -> None:
        self.sink = sink
        self.totals = totals
        self.rng = rng
        self.version = sink.version
        self.session_id = session_id
        self.agent_id = agent_id
        self.key = key
        self.ids = EntryIds(rng, self.version)
        self.default_trigger = default_trigger(kind)
        self.tally = Tally(totals, agent_id, kind, self.default_trigger)
        self.parent: str | None = None
        self.model = model
        self.snap_model: Model | None = None
        self.thinking = thinking
        self.system_tokens = system_tokens
        self.context = 0
        self._cached = 0
        self._cache_until = 0
        self.run_id: str | None = None
        self.run = RunStats()
        self.cost_total = 0.0
        self.compactions = 0
        self.first_ms = 0
        self.last_ms = 0
        self.last_user_id: str | None = None
        self._frozen: list[dict[str, str]] = []
        # detector families this session shows, by construction: family → (sub-case, entry ids)
        self.labels: dict[str, tuple[str, list[str]]] = {}

    def flag(self, family: str, subcase: str, entry_ids: list[str]) -> None:
        """Label this session with a detector family, citing the entries that show it."""
        _, known = self.labels.get(family, (subcase, []))
        self.labels[family] = (subcase, known + [e for e in entry_ids if e and e not in known])

    # -- plumbing -------------------------------------------------------------------------------

    def _emit(self, record: dict[str, Any], ts: int) -> None:
        self.sink.event(self.session_id, record, ts)
        self.last_ms = ts

    def _link(self) -> tuple[str, str | None]:
        eid = self.ids.new()
        parent, self.parent = self.parent, eid
        return eid, parent

    def _message(self, ts: int, msg: dict[str, Any], model_ref: str | None = None) -> str:
        eid, parent = self._link()
        self._emit(records.message(eid, parent, ts, msg), ts)
        self.tally.message(model_ref)
        return eid

    def _custom(self, ts: int, custom_type: str, data: dict[str, Any]) -> None:
        eid, parent = self._link()
        self._emit(records.custom(eid, parent, ts, custom_type, data), ts)
        self.tally.record()

    # -- session start and model state ----------------------------------------------------------

    def start(self, ts: int, cwd: str) -> int:
        """Header, model_change, thinking_level_change (the first records of every transcript)."""
        self.first_ms = ts
        self._emit(records.header(self.version, self.session_id, ts, cwd), ts)
        self.tally.record()
        ts += self.rng.randint(1, 8)
        self._model_change(ts, self.model)
        eid, parent = self._link()
        self._emit(records.thinking_change(self.version, eid, parent, ts, self.thinking), ts)
        self.tally.record()
        return ts + self.rng.randint(1, 30)

    def switch_model(self, ts: int, model: Model) -> int:
        """A `/model` switch: OpenClaw records a `model_change` before the next turn."""
        self.model = model
        self._model_change(ts, model)
        self._cached = 0  # a new provider has nothing cached
        return ts + self.rng.randint(1, 5)

    def _model_change(self, ts: int, m: Model) -> None:
        eid, parent = self._link()
        self._emit(
            records.model_change(self.version, eid, parent, ts, provider=m.provider, model_id=m.id), ts
        )
        self.tally.record()

    def snapshot(self, ts: int) -> int:
        """`custom:model-snapshot` before a turn whose model differs from the last snapshot."""
        if self.snap_model == self.model:
            return ts
        self.snap_model = self.model
        m = self.model
        self._custom(ts, "model-snapshot", records.snapshot_data(ts, m.provider, m.api, m.id))
        return ts + self.rng.randint(1, 6)

    def begin_run(self, run_id: str, trigger: str) -> None:
        """A run (one turn) starts; `trigger` "" means the session's own (main, channel, cron…)."""
        self.run_id = run_id
        self.run = RunStats()
        self.tally.set_trigger(trigger or self.default_trigger)

    def end_run(self, ts: int) -> int:
        """v4 closes every run with `custom:openclaw:bootstrap-context:full` (observed)."""
        if self.version >= 4 and self.run_id is not None:
            self._custom(
                ts,
                "openclaw:bootstrap-context:full",
                {"timestamp": ts, "runId": self.run_id, "sessionId": self.session_id},
            )
            ts += self.rng.randint(2, 15)
        return ts

    # -- messages -------------------------------------------------------------------------------

    def user(self, ts: int, text: str, *, owner: bool = True, extra: dict[str, Any] | None = None) -> int:
        sent = ts
        ts += self.rng.randint(2, 40)
        msg = records.user(self.version, text, sent, run_id=self.run_id, owner=owner, extra=extra)
        self.last_user_id = self._message(ts, msg)
        self.context += len(text) // 4 + 4
        return ts + self.rng.randint(1, 20)

    def _usage(self, out: int, now: int) -> tuple[int, int, int, int]:
        m = self.model
        prompt = self.system_tokens + self.context
        warm = now <= self._cache_until
        if m.cache == "anthropic":
            cache_read = min(self._cached, prompt) if warm else 0
            inp = self.rng.randint(3, 14)
            cache_write = max(prompt - cache_read - inp, 0)
        elif m.cache == "prefix":
            hit = warm and prompt >= 1024 and (m.provider != "google" or self.rng.random() < 0.6)
            cache_read = (min(self._cached, prompt) // 128) * 128 if hit else 0
            inp, cache_write = prompt - cache_read, 0
        else:
            inp, cache_read, cache_write = prompt, 0, 0
        self._cached, self._cache_until = prompt, now + CACHE_TTL_MS
        return inp, out, cache_read, cache_write

    def call(self, ts: int, content: list[dict[str, Any]], stop: str, out_tokens: int) -> int:
        """One successful model call; returns the time it finished."""
        m = self.model
        tokens = self._usage(out_tokens, ts)
        priced = Priced(m.prices, tokens)
        latency = 400 + self.rng.randint(0, 900) + out_tokens * 1000 // _speed(m)
        end = ts + latency
        msg = records.assistant(
            self.version,
            content,
            api=m.api,
            provider=m.provider,
            model=m.id,
            usage=usage_fragment(*tokens, priced),
            stop=stop,
            ts=ts,
            response_id=response_id(self.rng, m.api),
            run_id=self.run_id,
        )
        eid = self._message(end, msg, m.ref)
        self.tally.call(m.ref, tokens, priced.total, False)
        if tokens[0] + tokens[2] + tokens[3] >= NEAR_WINDOW * m.context_window:
            self.flag("context_overflow", f"a prompt at ≥ {NEAR_WINDOW:.0%} of the model's window", [eid])
        self.context += out_tokens
        r = self.run
        r.input += tokens[0]
        r.output += tokens[1]
        r.cache_read += tokens[2]
        r.cache_write += tokens[3]
        r.cost += priced.total
        r.last_context = tokens[0] + tokens[2] + tokens[3]
        self.cost_total += priced.total
        return end + self.rng.randint(1, 12)

    def failed_call(self, ts: int, error: str) -> int:
        """A provider error: empty content, zero usage, `stopReason:"error"` (observed RUN-3.24)."""
        m = self.model
        end = ts + self.rng.randint(300, 2500)
        msg = records.assistant(
            self.version,
            [],
            api=m.api,
            provider=m.provider,
            model=m.id,
            usage=ZERO_USAGE,
            stop="error",
            ts=ts,
            error=error,
            run_id=self.run_id,
        )
        self._message(end, msg, m.ref)
        self.tally.call(m.ref, (0, 0, 0, 0), 0.0, True)
        return end

    def not_a_call(self, ts: int, text: str, kind: str) -> int:
        """An assistant row OpenClaw wrote itself: `injected` reply, gateway notice or delivery mirror."""
        if kind == "injected":
            msg = records.assistant(
                self.version,
                [{"type": "text", "text": text}],
                api=None,
                provider=None,
                model=None,
                usage=ZERO_USAGE,
                stop="injected",
                ts=ts,
            )
        else:
            msg = records.assistant(
                self.version,
                [{"type": "text", "text": text}],
                api="openai-responses",
                provider="openclaw",
                model=kind,
                usage=ZERO_USAGE,
                stop="stop",
                ts=ts,
            )
        written = ts + self.rng.randint(1, 30)
        self._message(written, msg)
        self.totals.nonModelAssistant += 1
        return written + self.rng.randint(5, 40)

    def thinking_block(self, text: str) -> dict[str, Any]:
        api = self.model.api
        if api in ("anthropic-messages", "google-generative-ai"):  # opaque provider signatures
            sig = signature(self.rng)
        elif api == "openai-responses":
            sig = '{"type":"reasoning","id":"rs_' + sha_like(self.rng)[:40] + '","summary":[]}'
        else:
            sig = "reasoning_content"
        return {"type": "thinking", "thinking": text, "thinkingSignature": sig}

    def tool_result(
        self,
        ts: int,
        call_id: str,
        outcome: ToolOutcome,
        *,
        wrapped: bool,
        order: int,
        issuer: str,
        after_entry: str,
    ) -> int:
        """The result of one tool call; under Tool Search also the nested-tool record (v4)."""
        end = ts + outcome.duration_ms
        tool_name, text, details = outcome.name, outcome.text, outcome.details
        if wrapped and self.run_id is not None:
            inner, text, details = wrap(outcome)
            tool_name = "tool_call"
            nested = records.nested_tool(
                run_id=self.run_id,
                scope_id=uuid4(self.rng),
                after_entry_id=after_entry,
                order=order,
                parent_call_id=call_id,
                tool=outcome.name,
                args=outcome.args,
                result=inner,
                is_error=outcome.is_error_flag,
                started=ts,
                ended=end,
            )
            self._message(end + self.rng.randint(1, 5), nested)
            end += self.rng.randint(6, 20)
        msg = records.tool_result(
            self.version,
            call_id,
            tool_name=tool_name,
            text=text,
            details=details,
            is_error=outcome.is_error_flag,
            ts=end,
            run_id=self.run_id,
        )
        written = end + self.rng.randint(1, 8)
        self._message(written, msg)
        self.tally.tool(issuer, outcome.name, outcome.failed)
        self.context += len(text) // 4 + 8
        if self.version >= 4:
            frozen = {"key": f"tool:{call_id}:{end}", "sourceHash": sha_like(self.rng)}
            self._frozen = [*self._frozen[-(_FROZEN_KEEP - 1) :], frozen]
        return written + self.rng.randint(2, 12)

    def cache_ttl(self, ts: int) -> int:
        """v4 `custom:openclaw.cache-ttl`: which tool results the prompt cache froze (observed)."""
        if self.version < 4 or not self._frozen:
            return ts
        data = {
            "prunedToolResults": [],
            "ambiguousToolResultBaseKeys": [],
            "frozenToolResults": list(self._frozen),
        }
        self._custom(ts, "openclaw.cache-ttl", data)
        return ts + self.rng.randint(5, 40)

    def compact(self, ts: int, summary: str) -> int:
        """A compaction: OpenClaw summarised the history; the summary call itself leaves no usage row."""
        before = self.system_tokens + self.context
        first_kept = self.last_user_id or self.parent or ""
        eid, parent = self._link()
        rec = records.compaction(
            eid,
            parent,
            ts,
            summary=summary,
            first_kept=first_kept,
            tokens_before=before,
            read_files=["NOTES.md", "MEMORY.md"],
            modified_files=["NOTES.md"],
        )
        self._emit(rec, ts)
        self.tally.record()
        self.totals.compactions += 1
        self.compactions += 1
        self.context = self.rng.randint(2_500, 7_000)
        self._cached = 0
        return ts + self.rng.randint(5, 50)


def default_trigger(kind: str) -> str:
    """Why a session's ordinary turns happen, from its kind; `unknown` (no key on record) is `other`."""
    try:
        return KIND_TRIGGER[SessionKind(kind)].value
    except ValueError:
        return Trigger.OTHER.value


def _speed(m: Model) -> int:
    """Output tokens per second."""
    return {"anthropic": 60, "openai": 80, "google": 150, "ollama": 25}.get(m.provider, 60)
