"""`context_overflow`: a session's prompt running into its model's context window.

OpenClaw leaves few traces of an overflow (the provider's HTTP 400 is often not stored; it compacts and
retries, and on small windows truncates tool output), so each trace is its own detector:

* `context_overflow.near-window` — a prompt (input + cache read + cache write) at ≥ `near_ratio` of
  the model's window, or a compaction that started there.
* `context_overflow.growth` — the prompt growing turn after turn up to a large share of the window.
* `context_overflow.context-errors` — context-length errors: the provider's ("maximum context length
  is N tokens") and OpenClaw's own ("Context overflow: …").
* `context_overflow.compaction-storm` — compaction after compaction within a few turns.

The window comes from the settings' `context_windows` (model id or "provider/model" → tokens), the
view (the instance's `openclaw.json` model catalog, capped by its `contextTokens`), the window a
provider's context-length error states, or defaults for well-known model families.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.common import finding
from clawscope.model.detection import Finding, FindingSeverity, ModelCallView, SessionView

# public model families' windows (prefix of the model id → tokens); configured values win
DEFAULT_WINDOWS: dict[str, int] = {
    "claude": 200_000,
    "gpt-4o": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-5": 400_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "gemini-1.5": 1_048_576,
    "gemini-2": 1_048_576,
    "mistral-large": 128_000,
    "deepseek": 128_000,
}
_STATED = re.compile(r"maximum context length is (\d[\d,]*) tokens|context window of (\d[\d,]*) tokens", re.I)
ERROR_PATTERN = (
    r"context[ _-]?(length|window)[ _-]?(exceeded|error)|maximum context length|context overflow|"
    r"exceeds? (the )?context limit|"
    r"prompt (is )?too (long|large)|too many (input )?tokens|exceeds? (the )?(model'?s? )?context"
)


def _lowered(windows: dict[Any, Any]) -> dict[str, int]:
    """`windows` with lower-cased keys and int values, kept per mapping by identity (holding it): the
    same settings and catalog are asked per model call and per detector. Read-only for callers."""
    if not windows:
        return {}
    hit = _LOWERED.get(id(windows))
    if hit is not None and hit[0] is windows:
        return hit[1]
    out = {str(k).lower(): int(v) for k, v in windows.items()}
    if len(_LOWERED) >= 256:
        _LOWERED.clear()
    _LOWERED[id(windows)] = (windows, out)
    return out


_LOWERED: dict[int, tuple[dict[Any, Any], dict[str, int]]] = {}


def window_of(view: SessionView, call: ModelCallView | None, params: dict[str, Any]) -> int | None:
    """The context window (tokens) of a call's model (or the session's), None when unknown: the
    settings' `context_windows`, else the session model's window from the instance's config, else the
    catalog's, else the one a context-length error stated, else a well-known model family's."""
    model = ((call.model if call else None) or view.session.model or "").lower()
    provider = ((call.provider if call else None) or view.session.provider or "").lower()
    keys = (f"{provider}/{model}", model, model.rsplit("/", 1)[-1])
    settings = _lowered(params.get("context_windows") or {})
    catalog = _lowered(view.context_windows)
    same_model = call is None or not call.model or call.model == view.session.model
    found = next((settings[k] for k in keys if k in settings), None)
    if found is None and same_model and view.session.context_window:
        found = view.session.context_window
    if found is None:
        found = next((catalog[k] for k in keys if k in catalog), None)
    if found is None:
        for m in view.model_calls:
            if not m.error_message:
                continue  # (most calls: nothing to search)
            stated = _STATED.search(m.error_message)
            if stated and (m.model or "").lower() == model:
                return int((stated.group(1) or stated.group(2)).replace(",", ""))
        table = {**DEFAULT_WINDOWS, **{k: v for k, v in settings.items() if "/" not in k}}
        best = max((k for k in table if keys[2].startswith(k)), key=len, default=None)
        found = table[best] if best else None
    return found


class NearWindow:
    id: ClassVar[str] = "context_overflow.near-window"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "context_overflow"
    defaults: ClassVar[dict[str, Any]] = {"near_ratio": 0.75, "context_windows": {}, "fast_fill_turns": 5}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        ratio = float(p["near_ratio"])
        near: list[tuple[str, int, int]] = []  # (entry id, tokens, window)
        windows: dict[tuple[str | None, str | None], int | None] = {}
        for m in view.model_calls:
            if (m.provider, m.model) not in windows:
                windows[(m.provider, m.model)] = window_of(view, m, p)
            w = windows[(m.provider, m.model)]
            if w and m.prompt_tokens >= ratio * w:
                near.append((m.entry_id, m.prompt_tokens, w))
        w0 = window_of(view, None, p)
        for c in view.compactions:
            if w0 and c.tokens_before and c.tokens_before >= ratio * w0:
                near.append((c.entry_id, c.tokens_before, w0))
        if not near and w0 is None:
            # no known window: OpenClaw compacts when the prompt reaches its model's window. In a long
            # chat that is housekeeping; within the first few turns the context is being flooded (big
            # pastes, tool output), the overflow trace. One started by hand (`/compact`) is neither.
            turn = _turn_of(view)
            auto = [
                c
                for c in view.compactions
                if (c.tokens_before or 0) > 0
                and not _manual(view, c.entry_id)
                and turn(c.entry_id) <= int(p["fast_fill_turns"])
            ]
            if auto:
                top_c = max(auto, key=lambda c: c.tokens_before or 0)
                return [
                    finding(
                        self,
                        view,
                        auto[0].entry_id,
                        [c.entry_id for c in auto],
                        f"the prompt reached the model's window: compacted at {top_c.tokens_before:,} tokens",
                        {"promptTokens": top_c.tokens_before, "window": None, "compactions": len(auto)},
                        FindingSeverity.INFO,
                        0.6,
                    )
                ]
        if not near:
            return []
        top = max(near, key=lambda x: x[1] / x[2])
        share = top[1] / top[2]
        return [
            finding(
                self,
                view,
                near[0][0],
                [n[0] for n in near],
                f"prompt of {top[1]:,} tokens: {share:.0%} of the {top[2]:,}-token window",
                {"promptTokens": top[1], "window": top[2], "share": round(share, 3), "calls": len(near)},
                FindingSeverity.CRITICAL if share >= 1 else FindingSeverity.WARNING,
                0.9,
            )
        ]


def _turn_of(view: SessionView) -> Callable[[str], int]:
    """How many user messages precede an entry (1 = in the first turn)."""
    pos = {e.entry_id: e.pos for e in view.entries}
    users = [e.pos for e in view.entries if e.role == "user"]
    return lambda entry_id: bisect_left(users, pos.get(entry_id, -1))


def _manual(view: SessionView, compaction_id: str) -> bool:
    """Whether a compaction followed a user's `/compact` (the user message just before it)."""
    before = [e for e in view.entries if e.role == "user"]
    pos = {e.entry_id: e.pos for e in view.entries}
    at = pos.get(compaction_id, -1)
    last = next((e for e in reversed(before) if e.pos < at), None)
    return bool(last and last.text.strip().lower().startswith("/compact"))


def _turn_peaks(view: SessionView) -> list[tuple[str, int]]:
    """(entry id, prompt tokens) of the largest successful call of each turn, in order."""
    pos = {e.entry_id: e.pos for e in view.entries}
    starts = [e.pos for e in view.entries if e.role == "user"]
    peaks: dict[int, tuple[str, int]] = {}
    for m in view.model_calls:
        if m.prompt_tokens <= 0:
            continue
        turn = bisect_left(starts, pos.get(m.entry_id, -1))
        if turn not in peaks or m.prompt_tokens > peaks[turn][1]:
            peaks[turn] = (m.entry_id, m.prompt_tokens)
    return [peaks[k] for k in sorted(peaks)]


class Growth:
    id: ClassVar[str] = "context_overflow.growth"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "context_overflow"
    defaults: ClassVar[dict[str, Any]] = {"min_turns": 4, "reach_ratio": 0.6, "context_windows": {}}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        w = window_of(view, None, p)
        if not w or not any(m.prompt_tokens >= float(p["reach_ratio"]) * w for m in view.model_calls):
            return []
        peaks = _turn_peaks(view)
        best: list[tuple[str, int]] = []
        run: list[tuple[str, int]] = []
        for pk in peaks:
            run = [*run, pk] if run and pk[1] > run[-1][1] else [pk]
            if (
                len(run) >= int(p["min_turns"])
                and run[-1][1] >= float(p["reach_ratio"]) * w
                and len(run) > len(best)
            ):
                best = list(run)
        if not best:
            return []
        compactions = [
            c.entry_id for c in view.compactions if (c.tokens_before or 0) >= float(p["reach_ratio"]) * w
        ]
        return [
            finding(
                self,
                view,
                best[0][0],
                [b[0] for b in best] + compactions,
                f"prompt grew over {len(best)} turns from {best[0][1]:,} to {best[-1][1]:,} tokens "
                f"({best[-1][1] / w:.0%} of the window)",
                {
                    "turns": len(best),
                    "from": best[0][1],
                    "to": best[-1][1],
                    "window": w,
                    "compactions": len(compactions),
                },
                FindingSeverity.WARNING,
                0.8,
            )
        ]


class ContextErrors:
    id: ClassVar[str] = "context_overflow.context-errors"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "context_overflow"
    defaults: ClassVar[dict[str, Any]] = {"error_pattern": ERROR_PATTERN}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        pattern = re.compile(str(p["error_pattern"]), re.I)
        hits: list[tuple[str, str]] = []
        for e in view.entries:
            if e.role != "assistant":
                continue
            msg = e.record.get("message") if isinstance(e.record.get("message"), dict) else {}
            err = str((msg or {}).get("errorMessage") or "")
            if err and pattern.search(err):
                hits.append((e.entry_id, err))
            elif pattern.match(e.text.strip()[:200]):  # OpenClaw's own notice opens the reply
                hits.append((e.entry_id, e.text.strip()))
        if not hits:
            return []
        # OpenClaw answers an overflow by compacting and retrying: the compaction right after is part of it
        order = list(view.entries)
        at = {e.entry_id: i for i, e in enumerate(order)}
        follow = [
            n.entry_id for eid, _ in hits for n in order[at[eid] + 1 : at[eid] + 3] if n.type == "compaction"
        ]
        stated = next((m for _, t in hits if (m := _STATED.search(t))), None)
        return [
            finding(
                self,
                view,
                hits[0][0],
                [h[0] for h in hits] + follow,
                f"context-length error ({len(hits)}x): {hits[0][1].splitlines()[0][:140]}",
                {
                    "errors": len(hits),
                    "first": hits[0][1][:300],
                    "window": int((stated.group(1) or stated.group(2)).replace(",", "")) if stated else None,
                },
                FindingSeverity.CRITICAL,
                0.95,
            )
        ]


class CompactionStorm:
    id: ClassVar[str] = "context_overflow.compaction-storm"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "context_overflow"
    defaults: ClassVar[dict[str, Any]] = {"min_compactions": 2, "within_turns": 3}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        pos = {e.entry_id: e.pos for e in view.entries}
        starts = [e.pos for e in view.entries if e.role == "user"]
        turns = [(c, bisect_left(starts, pos.get(c.entry_id, -1))) for c in view.compactions]
        best: list[Any] = []
        for i in range(len(turns)):
            window = [c for c, t in turns[i:] if t - turns[i][1] < int(p["within_turns"])]
            if len(window) > len(best):
                best = window
        if len(best) < int(p["min_compactions"]):
            return []
        return [
            finding(
                self,
                view,
                best[0].entry_id,
                [c.entry_id for c in best],
                f"{len(best)} compactions within {p['within_turns']} turns",
                {
                    "compactions": len(best),
                    "withinTurns": int(p["within_turns"]),
                    "tokensBefore": [c.tokens_before for c in best],
                },
                FindingSeverity.WARNING,
                0.85,
            )
        ]


register(NearWindow())
register(Growth())
register(ContextErrors())
register(CompactionStorm())
