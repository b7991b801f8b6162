"""Offline text heuristics the semantic families share: turns, replies, claims, refusals, numbers.

`hallucination`, `persona_drift`, `coordination_failure` and `prompt_injection` judge what an agent said
against what its session shows. Here they do it with plain rules (no model, no network): a reply that
claims success or completed work, one that admits a failure or declines, the numbers it states, the turn
it belongs to. A later issue adds an opt-in judge; these stay the offline floor. Everything is a pure
function of a `SessionView`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionView, ToolUse

# The families with an offline tier here and an opt-in judge (detect/judge/); their findings say which.
SEMANTIC_FAMILIES = ("prompt_injection", "hallucination", "coordination_failure", "persona_drift")
# Literal texts OpenClaw stores for "nothing to say" (openclaw-format.md §10).
SILENT = frozenset({"NO_REPLY", "ANNOUNCE_SKIP", "HEARTBEAT_OK"})
# User rows OpenClaw writes itself (sub-agent context, inter-session rounds): not a human turn.
_AUTOMATED_USER = re.compile(r"^\s*\[(Subagent Context|Inter-session message|System Message)\]", re.I)

# A reply that reports success as a verdict (tests, checks, the whole task).
SUCCESS_VERDICT = re.compile(
    r"\b(all\b[^.!?\n]{0,40}\b(pass(ed|es)?|green|succeeded|ok)\b|every(thing|one)\b[^.!?\n]{0,20}"
    r"\b(pass(ed|es)?|green|succeeded|works?|fine)\b|succeeded|successful(ly)?|(tests?|checks?|build)\s+"
    r"(pass(ed|es)?|green|ok)|no (errors|failures)|completed without errors)\b",
    re.I,
)
# A reply that reports work as done in the first person or as a finished fact.
ACTION_CLAIM = re.compile(
    r"\b(I('ve| have)?|we('ve| have)?|done\W+I)\s+(just\s+)?(deployed|emailed|sent|restarted|installed|"
    r"deleted|removed|created|updated|fixed|pushed|merged|booked|scheduled|uploaded|published|posted|"
    r"migrated|ran|run|executed|cancelled|refunded|paid|called|notified|submitted|saved|wrote|written|"
    r"backed up|rolled back|configured|set up|ordered)\b",
    re.I,
)
# A reply that admits a failure or an inability.
FAILURE_ACK = re.compile(
    r"\b(fail(ed|s|ure)?|could(n'?t| not)|can(n'?t|not)|unable|did(n'?t| not)|error|not (found|"
    r"available|installed|possible|run)|no such|missing|timed? ?out|was not|wasn'?t|isn'?t|problem|"
    r"broke|retry|retrying|again|instead|myself)\b",
    re.I,
)
# A reply that declines or redirects rather than answering.
REFUSAL = re.compile(
    r"\b(I('m| am) (only|not able|unable)|I can(no|')t (help|give|advise|provide|do)|can(no|')t help "
    r"with|not able to (help|give|advise)|(ask|see|consult|contact) (a|your) (doctor|gp|lawyer|solicitor|"
    r"financial adviser|advisor|professional|pharmacist)|outside (of )?(my|what I)|I('d| would) rather "
    r"not|I don'?t (give|offer|provide)|politely decline|only (help|able to help) with)\b",
    re.I,
)
# A modal or future phrasing: a plan, an offer or a question, not a claim.
MODAL = re.compile(
    r"\b(can|could|will|shall|would|should|may|might|going to|once you|if you|want me to)\b", re.I
)

# A number not inside a word: `(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.]*\d)` with its first
# digit taken before the look-behind, so the engine skips to digits instead of trying every position
# (the same matches, 4x faster on long tool outputs).
NUMBER = re.compile(r"(\d(?<![\w.]\d)(?:\d{0,2}(?:,\d{3})+|\d*(?:\.\d+)?))(?![\w.]*\d)")


@dataclass(frozen=True)
class Turn:
    """A human request and everything the session recorded until the next one."""

    user: EntryView | None
    entries: tuple[EntryView, ...]

    @property
    def first_pos(self) -> int:
        return self.user.pos if self.user else (self.entries[0].pos if self.entries else 0)

    @property
    def last_pos(self) -> int:
        return self.entries[-1].pos if self.entries else self.first_pos


def is_human(entry: EntryView) -> bool:
    return entry.role == "user" and not _AUTOMATED_USER.match(entry.text)


# The last session's turns: several detectors cut the same view (its entries tuple is the key; holding it
# keeps its identity from being reused).
_LAST_TURNS: list[tuple[tuple[EntryView, ...], list[Turn]]] = [((), [])]


def turns(view: SessionView) -> list[Turn]:
    """The session cut at every human user message (OpenClaw's own user rows do not cut it)."""
    entries, cached = _LAST_TURNS[0]
    if entries is view.entries:
        return list(cached)
    out = _turns(view.entries)
    _LAST_TURNS[0] = (view.entries, out)
    return list(out)


def _turns(entries: tuple[EntryView, ...]) -> list[Turn]:
    out: list[Turn] = []
    user: EntryView | None = None
    body: list[EntryView] = []
    for e in entries:
        if is_human(e):
            if user is not None or body:
                out.append(Turn(user, tuple(body)))
            user, body = e, []
        else:
            body.append(e)
    if user is not None or body:
        out.append(Turn(user, tuple(body)))
    return out


def replies(entries: Iterable[EntryView]) -> list[EntryView]:
    """Assistant entries that say something (text, not the silent tokens)."""
    if type(entries) is not tuple:
        return _replies(entries)
    hit = _REPLIES.get(id(entries))
    if hit is not None and hit[0] is entries:
        return list(hit[1])
    if len(_REPLIES) >= 256:
        _REPLIES.clear()
    out = _replies(entries)
    _REPLIES[id(entries)] = (entries, out)
    return list(out)


# Replies of recently asked entry tuples (a session's and its turns'), by identity: the same ones are
# asked by many detectors. Each holds its tuple, so an id is not reused while it is here.
_REPLIES: dict[int, tuple[tuple[EntryView, ...], list[EntryView]]] = {}


def _replies(entries: Iterable[EntryView]) -> list[EntryView]:
    return [e for e in entries if e.role == "assistant" and e.text.strip() and e.text.strip() not in SILENT]


def tools_between(view: SessionView, first_pos: int, last_pos: int) -> list[ToolUse]:
    """Tool calls whose call entry lies in [first_pos, last_pos]."""
    pos = entry_pos(view)
    return [t for t in view.tools if t.call_entry_id in pos and first_pos <= pos[t.call_entry_id] <= last_pos]


_LAST_POS: list[tuple[tuple[EntryView, ...], dict[str, int]]] = [((), {})]


def entry_pos(view: SessionView) -> dict[str, int]:
    """Entry id → position (read-only; the last session's map is reused while the same entries are asked)."""
    entries, cached = _LAST_POS[0]
    if entries is view.entries:
        return cached
    pos = {e.entry_id: e.pos for e in view.entries}
    _LAST_POS[0] = (view.entries, pos)
    return pos


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised (thousands separators dropped)."""
    return {m.group(1).replace(",", "") for m in NUMBER.finditer(text)}


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD4 = re.compile(r"[a-z]{4,}")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def keyword_hits(text: str, terms: Sequence[str]) -> list[str]:
    """Which of `terms` (words or phrases, case-insensitive, whole words) occur in `text`."""
    low = text.lower()
    # the substring test first: most terms are absent, and it is what the whole-word pattern needs
    return [t for t in terms if (w := t.lower()) in low and _whole_word(w).search(low)]


@functools.lru_cache(maxsize=4096)
def _whole_word(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)")


_STOPWORDS = frozenset(
    (
        "about",
        "after",
        "again",
        "also",
        "been",
        "before",
        "being",
        "both",
        "could",
        "does",
        "doing",
        "done",
        "each",
        "every",
        "from",
        "have",
        "having",
        "here",
        "into",
        "just",
        "more",
        "most",
        "much",
        "must",
        "only",
        "other",
        "over",
        "same",
        "should",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "until",
        "very",
        "want",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
        "yours",
        "please",
        "tell",
        "everyone",
        "know",
        "make",
        "sure",
    )
)


def stems(text: str) -> set[str]:
    """Content-word stems of a text (its words of 4+ letters, cut to 4, stopwords left out)."""
    return {w[:4] for w in _WORD4.findall(text.lower()) if w not in _STOPWORDS}


def stem_counts(text: str, size: int = 5) -> Counter[str]:
    """How often each content-word stem (its first `size` letters, stopwords left out) occurs in a text."""
    return Counter(w[:size] for w in _WORD4.findall(text.lower()) if w not in _STOPWORDS)


def topical(a: str, b: str) -> set[str]:
    """The content-word stems two texts share: do they talk about the same thing?"""
    return stems(a) & stems(b)


def excerpt(text: str, limit: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def param(params: dict[str, Any], defaults: dict[str, Any], name: str) -> Any:
    return params.get(name, defaults[name])


def make_finding(
    detector: Any,
    view: SessionView,
    *,
    anchor: str,
    entry_ids: Iterable[str | None],
    severity: FindingSeverity,
    confidence: float,
    message: str,
    evidence: dict[str, Any],
) -> Finding:
    """A finding of `detector` on `view`, its time span taken from the entries it cites."""
    ids = tuple(dict.fromkeys([anchor, *[i for i in entry_ids if i]]))
    ts = [e.ts_ms for e in view.entries if e.entry_id in ids and e.ts_ms is not None]
    return Finding(
        detector=detector.id,
        detector_version=detector.version,
        family=detector.family,
        severity=severity,
        confidence=round(confidence, 2),
        session_id=view.session.session_id,
        anchor_entry_id=anchor,
        entry_ids=ids,
        message=message,
        evidence=(
            {**evidence, "tier": evidence.get("tier", "offline")}  # which tier said so
            if detector.family in SEMANTIC_FAMILIES
            else evidence
        ),
        first_ms=min(ts) if ts else None,
        last_ms=max(ts) if ts else None,
    )
