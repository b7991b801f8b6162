"""`hallucination.ungrounded-answer`: a short answer given from fetched content names what it never said.

The other `hallucination` rules (families/hallucination.py) catch a reply contradicting the session's
own tool results: success after an error, contents of a failed read, a count no output states. This
one covers the case the public claim-versus-evidence sets measure (HaluEval QA, tests/fixtures/semantic):
the user asks a question, the agent looks it up (`web_search`, `web_fetch`, `browser`, `read`, a mail
or memory tool) and answers in a few sentences, naming people, places, years or large figures that
neither the looked-up content, the tool arguments nor the human's own words contain ("Spielberg" when
the page says "Todd Phillips", "2018" when it says 2017).

Lexical, so it misses a wrong pick among names the content does state ("First for Women" instead of
"Arthur's Magazine") and cannot tell a paraphrase from an invention beyond names and numbers: its
findings carry `uncertain: true` and a low confidence, which is what hands them to the opt-in judge
(detect/judge/) when one is configured. Long replies (summaries, reports) are left alone: they restate
freely, and the rule was only measured on short answers. A capitalised word opening a sentence is not
taken for a name: counting those raised recall on the development half of HaluEval from 0.45 to 0.51
but fired on three recorded OpenClaw hard negatives ("Everything is operational.", "Feed the starter
daily.", "Three items are open."). What an agent works out rather than copies is not taken for a name
either: clock times, amounts, percentages, measures, small counts, weekdays and months; and a turn that
gives an order rather than asks a question ("check the disk"), or a lookup that returned something
not about the question (no content word shared), is the other rules' (a generated `clawscope
demo` corpus, whose canned replies restate nothing of its tool outputs, drew hundreds of findings
before these limits, four after; they cost HaluEval recall 0.45 → 0.39 on the development half).
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
    topical,
    turns,
)
from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionView, ToolUse

_TOKEN = re.compile(r"[A-Za-z][\w'’-]*|\d+(?:[.,]\d+)*")
# Numbers an agent works out rather than copies: clock times, amounts, percentages, measures, decimals.
_DERIVED = re.compile(r"[:€$£%~±°]|\d[.,]\d")
_CALENDAR_WORDS = """
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday january february march
april may june july august september october november december jan feb mar apr jun jul aug sep sept oct
nov dec
"""
_CALENDAR = frozenset(_CALENDAR_WORDS.split())
# Numbers an answer names: years (1850, 2018) and large figures; small counts and measures it works out.
_NAMED_NUMBER = re.compile(r"^(1[0-9]{3}|20[0-9]{2}|[0-9]{5,})$")
# A human turn that asks something (HaluEval's questions; "what is…", "who wrote…", "…?").
# Two patterns, not one alternation: the engine finds the first by scanning for its literal "?" (the
# one alternation was tried at every character of every human turn: twice the CPU, measured).
_QUESTION_MARK = re.compile(r"\?\s*$", re.M)
_QUESTION_WORD = re.compile(
    r"^\s*(who|whom|whose|what|when|where|which|why|how|is|are|was|were|did|does|do|can|could|has|have|"
    r"had)\b",
    re.I | re.M,
)


def _is_question(text: str) -> bool:
    return bool(_QUESTION_MARK.search(text) or _QUESTION_WORD.search(text))


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
        around = text[max(0, m.start() - 1) : m.end() + 1]
        if tok[0].isdigit():
            if not _DERIVED.search(around) and _NAMED_NUMBER.match(tok.rstrip(".,")):
                out.append(tok.rstrip(".,"))
        elif tok.lower() in _CALENDAR or len(tok) < 2:
            continue
        elif tok[0].isupper() and not opens and _norm(tok) not in _PLAIN and not _ACRONYM.match(tok):
            out.append(tok)
    return out


def ungrounded(reply: str, evidence: str) -> list[str]:
    """Names and numbers of `reply` that `evidence` does not contain as a word (case, a plural or
    possessive ending, thousands separators and the parts of `DATABASE_URL`-like words aside)."""
    low = evidence.lower()
    flat = low.replace(",", "")
    seen: list[str] = []
    for tok in _named(reply):
        word = _norm(tok)
        if not word or tok in seen:
            continue
        if word[0].isdigit():  # 23 in "23rd", 1250 in "1,250"
            found = re.search(r"(?<![0-9])" + re.escape(word) + r"(?![0-9])", flat)
        else:
            found = re.search(r"(?<![a-z0-9])" + re.escape(word) + r"(?:['’]s|s|es)?(?![a-z0-9])", low)
        if not found:
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
        lookup = {name: bool(looked_up.search(name)) for name in {t.name for t in view.tools}}
        if not any(lookup.values()):
            return  # the common case: nothing was looked up
        for turn in turns(view):
            if turn.user is None or not _is_question(turn.user.text):
                continue  # an answer to a question, not a report of work (that is the other rules')
            for r in replies(turn.entries):
                if len(r.text.split()) > max_words:
                    continue
                done = _answered_from(view, turn, r.pos)
                if not done or not all(lookup[t.name] and not failed(t) for t in done):
                    continue  # only answers given from looked-up content, and only when it was found
                if FAILURE_ACK.search(r.text) or REFUSAL.search(r.text):
                    continue
                outputs = "\n".join(t.output_text for t in done)
                if not topical(turn.user.text, "\n".join(_content(t) for t in done)):
                    continue  # what was looked up is not about the question: not what it answered from
                asked = _human_text(view.entries[: r.pos])
                evidence = "\n".join([asked, *(str(t.arguments) for t in done), outputs])
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


def _content(t: ToolUse) -> str:
    """A tool's output without the arguments it echoes (a search result repeats its query)."""
    out = t.output_text
    for v in t.arguments.values():
        if isinstance(v, str) and len(v) > 3:
            out = out.replace(v, " ")
    return out


def _human_text(entries: Iterable[EntryView]) -> str:
    return "\n".join(e.text for e in entries if is_human(e))


register(UngroundedAnswer())
