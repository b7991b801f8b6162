"""`hallucination.ungrounded-answer`: a short answer given from fetched content names what it never said.

The other `hallucination` rules (families/hallucination.py) catch a reply contradicting the session's
own tool results: success after an error, contents of a failed read, a count no output states. This
one covers the case the public claim-versus-evidence sets measure (HaluEval QA, tests/fixtures/semantic):
the user asks something, the agent looks it up (`web_search`, `web_fetch`, `browser`, `read`, a mail or
memory tool) and answers in a few sentences, naming people, places or numbers that neither the looked-up
content, the tool arguments nor the human's own words contain ("Mumbai" when the page says "Delhi").

Lexical, so it misses a wrong pick among names the content does state ("First for Women" instead of
"Arthur's Magazine") and cannot tell a paraphrase from an invention beyond names and numbers: its
findings carry `uncertain: true` and a low confidence, which is what hands them to the opt-in judge
(detect/judge/) when one is configured. Long replies (summaries, reports) are left alone: they restate
freely, and the rule was only measured on short answers. A capitalised word opening a sentence is not
taken for a name: counting those raised recall on the development half of HaluEval from 0.45 to 0.51
but fired on three recorded OpenClaw hard negatives ("Everything is operational.", "Feed the starter
daily.", "Three items are open.").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.families.hallucination import FAMILY, failed
from clawscope.detect.semantic import (
    FAILURE_ACK,
    REFUSAL,
    Turn,
    entry_pos,
    excerpt,
    is_human,
    make_finding,
    param,
    replies,
    tools_between,
    turns,
)
from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionView, ToolUse

_TOKEN = re.compile(r"[A-Za-z][\w'’-]*|\d+(?:[.,]\d+)*")
# Short all-capital words are mostly technical terms an agent adds freely (URL, API, PDF, CLI), not names.
_ACRONYM = re.compile(r"^[A-Z]{2,4}s?$")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$|\n\s*$")
# Capitalised words that name nothing (sentence starters, answer words, pronouns, markdown labels).
_PLAIN_WORDS = """
a an the i i'm i've i'll i'd yes no not none both neither either all some it its this that these those
there here he she they we you his her their our your my and or but so if as at by for from in of on to
with without while when where which who whom whose what why how also then than however although note
sure okay ok done answer summary source sources result results according based
"""
_PLAIN = frozenset(_PLAIN_WORDS.split())


def _norm(token: str) -> str:
    t = token.lower().strip(".,'’-").replace(",", "")
    t = re.sub(r"['’]s$", "", t)
    return t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t


def _named(text: str) -> list[str]:
    """The name-like tokens of a reply: numbers, and capitalised words not opening a sentence."""
    out = []
    prev_end = 0
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        opens = prev_end == 0 or bool(_SENTENCE_END.search(text[: m.start()]))
        prev_end = m.end()
        if tok[0].isdigit():
            out.append(tok.rstrip(".,"))
        elif tok[0].isupper() and not opens and _norm(tok) not in _PLAIN and not _ACRONYM.match(tok):
            out.append(tok)
    return out


def ungrounded(reply: str, evidence: str) -> list[str]:
    """Names and numbers of `reply` that `evidence` does not contain (compared as normalised words)."""
    known = {_norm(t) for t in _TOKEN.findall(evidence)}
    known |= {_norm(p) for t in known if "_" in t or "-" in t for p in re.split(r"[_-]+", t)}  # DATABASE_URL
    seen: list[str] = []
    for tok in _named(reply):
        if _norm(tok) not in known and tok not in seen:
            seen.append(tok)
    return seen


class UngroundedAnswer:
    id: ClassVar[str] = "hallucination.ungrounded-answer"
    version: ClassVar[int] = 1
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        "evidence_tools": r"search|fetch|browser|^read$|mail|inbox|memory|wiki|rss|feed",
        "max_words": 60,
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        looked_up = re.compile(str(param(params, self.defaults, "evidence_tools")), re.I)
        max_words = int(param(params, self.defaults, "max_words"))
        if not any(looked_up.search(t.name) for t in view.tools):
            return  # the common case: nothing was looked up
        for turn in turns(view):
            for r in replies(turn.entries):
                if len(r.text.split()) > max_words or FAILURE_ACK.search(r.text) or REFUSAL.search(r.text):
                    continue
                done = _answered_from(view, turn, r.pos)
                if not done or not all(looked_up.search(t.name) and not failed(t) for t in done):
                    continue  # only answers given from looked-up content, and only when it was found
                asked = _human_text(view.entries[: r.pos])
                evidence = "\n".join([asked, *(f"{t.arguments} {t.output_text}" for t in done)])
                names = ungrounded(r.text, evidence)
                if not names:
                    continue
                src = done[-1]
                yield make_finding(
                    self,
                    view,
                    anchor=r.entry_id,
                    entry_ids=[r.entry_id, src.call_entry_id, src.result_entry_id],
                    severity=FindingSeverity.INFO,
                    confidence=0.5,
                    message=f"answer names {', '.join(names[:3])}, which {src.name}'s result does not",
                    evidence={
                        "unsupported": names[:10],
                        "tool": src.name,
                        "reply": excerpt(r.text),
                        "uncertain": True,
                    },
                )


def _answered_from(view: SessionView, turn: Turn, before_pos: int) -> list[ToolUse]:
    """The turn's tool calls whose results were in before the reply at `before_pos`."""
    pos = entry_pos(view)
    return [
        t
        for t in tools_between(view, turn.first_pos, before_pos)
        if pos.get(t.result_entry_id or t.call_entry_id or "", before_pos + 1) < before_pos
    ]


def _human_text(entries: Iterable[EntryView]) -> str:
    return "\n".join(e.text for e in entries if is_human(e))


register(UngroundedAnswer())
