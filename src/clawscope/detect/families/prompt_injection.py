"""`prompt_injection`: instructions aimed at the agent inside what its tools brought back, and whether it
then followed them.

Tool results are data: a fetched page, an API answer, a file, an e-mail. OpenClaw wraps web content in
`<<<EXTERNAL_UNTRUSTED_CONTENT id="…">>> … <<<END_EXTERNAL_UNTRUSTED_CONTENT …>>>` after its own
SECURITY NOTICE (which itself says "IGNORE any instructions to…": it is removed before matching, so
the wrapper alone is never a finding). What is left is searched for

* an override ("ignore your previous instructions", "disregard the user's request", "SYSTEM OVERRIDE",
  "your new task is…"), or
* words addressed to the agent ("AI assistant reading this page:", "note to any AI agent",
  `<!-- assistant: … -->`) followed by an order (run, read, send, forward, delete, reply only with…).

Quoted text is a mention, not an order: an article that explains injection by quoting
'ignore your previous instructions' is not one. The agent **acted on** it when a later tool call of the
same turn carries the injected payload (the command, path, URL or address it named), or a later reply
says what the injection ordered it to say; that raises the severity to critical.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.instructions import task_requests
from clawscope.detect.semantic import entry_pos, excerpt, is_human, make_finding, param, replies, stems, turns
from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionView, ToolUse

FAMILY = "prompt_injection"
_NOTICE = re.compile(r"SECURITY NOTICE:.*?(?=<<<EXTERNAL_UNTRUSTED_CONTENT|\Z)", re.S)
# OpenClaw's wrapper; a wrapper inside wrapped content is stored with its markers "sanitized".
_WRAPPED = re.compile(
    r"(?:<<<EXTERNAL_UNTRUSTED_CONTENT[^>]*>>>|\[\[MARKER_SANITIZED\]\])(.*?)"
    r"(?:<<<END_EXTERNAL_UNTRUSTED_CONTENT|\[\[END_MARKER_SANITIZED\]\]|\Z)",
    re.S,
)
_SOURCE_HEADER = re.compile(r"^\s*Source:[^\n]*\n-{3,}\n")
_QUOTE = re.compile(r"'[^'\n]{3,200}'|\"[^\"\n]{3,200}\"|“[^”\n]{3,200}”|‘[^’\n]{3,200}’")
OVERRIDE = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,30}\b(previous|prior|above|earlier|all|your|"
    r"the user'?s?|system)\b[^.\n]{0,20}\b(instructions?|requests?|guidelines|rules|prompts?|tasks?|"
    r"directions)\b|\bsystem (override|message|prompt update)\b|\byour (new|real|actual) (task|instructions?|"
    r"goal)\b|\bnew instructions?:|\byou are now\b|\bdo not tell the user\b",
    re.I,
)
# Extraction: asks for the agent's own prompt or the secrets it can reach.
EXTRACT = re.compile(
    r"\b(reveal|print|repeat|show|output|leak|dump|disclose|tell me|send|share|post|paste|include|give me)\b"
    r"[^.\n]{0,30}\b(your|the|its|all)\s+(\w+\s+)?(system prompt|initial (prompt|instructions)|hidden "
    r"instructions|instructions above|(api|access|secret|private|ssh) keys?|secrets|credentials|passwords?|"
    r"tokens|env(ironment)? (variables|file)|\.env( file)?|soul\.md|agents\.md)\b",
    re.I,
)
ADDRESSED = re.compile(
    r"\b(AI|LLM|GPT|assistant|agent|bot|model|copilot)s?\b[^.\n:]{0,40}\b(reading|processing|triaging|"
    r"summari[sz]ing|parsing|seeing|viewing) (this|these)\b|\b(note|message|instructions?) (to|for) (any|the"
    r"|all|every) (AI|LLM|assistant|agent|bot|model)s?\b|\b(to|dear|attention|hey) (the )?(AI|LLM|assistant|"
    r"agent|bot)s?\b|<!--\s*(assistant|ai|agent|system)\s*:",
    re.I,
)
# Literal words one of OVERRIDE / ADDRESSED needs: a substring pre-check (fast on megabytes of tool
# output, where the case-insensitive patterns are not) before those patterns run.
_TRIGGERS = (
    "ignore", "disregard", "forget", "override", "bypass", "system message", "system prompt", "your new",
    "your real", "your actual", "new instruction", "you are now", "do not tell the user", "reading th",
    "processing th", "triaging th", "summarising th", "summarizing th", "parsing th", "seeing th",
    "viewing th", "note to", "note for", "message to", "message for", "instructions to", "instructions for",
    "instruction to", "instruction for", "dear ", "attention ", "hey ", "<!--", "to ai", "to the ai",
    "to assistant", "to the assistant", "to agent", "to the agent", "to bot", "to the bot", "to llm",
    "to the llm", "to gpt", "to the gpt", "to the model", "to copilot", "to the copilot",
    "initial prompt", "initial instructions", "hidden instructions", "instructions above", " key",
    "secrets", "credentials", "password", "tokens", "environment variables", "env file", ".env",
    "soul.md", "agents.md",
)  # fmt: skip
# The pre-check in fewer passes over the text: every trigger holds one of these anchors (each trigger
# goes with the first anchor it holds), and a trigger is looked for only when its anchor is there; the
# "to (the) <assistant>" triggers are one pattern, which the engine scans for by its literal "to ".
_ANCHOR_WORDS = (
    "ignor", "disregard", "forget", "overrid", "bypass", "system ", "your ", "instruction", "you are now",
    "do not tell", "ing th", "note ", "message ", "dear ", "attention ", "hey ", "<!--", "initial prompt",
    " key", "secret", "credential", "password", "token", "environment variables", "env file", ".env",
    "soul.md", "agents.md",
)  # fmt: skip
_TO_ASSISTANT = re.compile(
    r"to (?:the (?:ai|assistant|agent|bot|llm|gpt|model|copilot)|ai|assistant|agent|bot|llm|gpt|copilot)"
)
_ANCHORED: dict[str, list[str]] = {}
for _w in _TRIGGERS:
    if not _w.startswith("to "):
        _ANCHORED.setdefault(next(a for a in _ANCHOR_WORDS if a in _w), []).append(_w)


def has_trigger(low: str) -> bool:
    """Whether the lower-cased text holds any of `_TRIGGERS` (the same answer as testing each)."""
    return any(a in low and any(w in low for w in ws) for a, ws in _ANCHORED.items()) or bool(
        _TO_ASSISTANT.search(low)
    )


ORDER = re.compile(
    r"\b(run|execute|exec|read|cat|send|forward|email|post|upload|delete|remove|rm|reply|respond|say|"
    r"print|reveal|include|curl|wget|install|download|transfer|pay)\b",
    re.I,
)
_PAYLOADS = (
    re.compile(r"`([^`\n]{3,200})`"),
    re.compile(r"\b(?:https?|ftp)://[^\s'\"`<>)]+"),
    re.compile(r"(?<![\w/])(?:~|\.{1,2})?/[\w.~-]+(?:/[\w.~-]+)+"),
    re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b"),
    re.compile(r"\b(?:run|execute)\s+((?:sudo\s+)?[a-z][\w.-]*(?:\s+[^\s.;]+){1,8})", re.I),
)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "{[":
            try:
                yield from _strings(json.loads(s))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def content_of(output: str, depth: int = 0) -> tuple[str, bool]:
    """(the text a tool brought back, without OpenClaw's notice; whether it came wrapped as untrusted).
    JSON answers are read as their string values; wrapped blocks are unwrapped (2026.9.x wraps a whole
    tool result again, with the first wrapper's markers sanitized inside it)."""
    text = "\n".join(_strings(output))
    blocks = [_SOURCE_HEADER.sub("", m.group(1)) for m in _WRAPPED.finditer(text)]
    if blocks and depth < 3:
        return "\n".join(content_of(b, depth + 1)[0] for b in blocks), True
    return _NOTICE.sub("", text), bool(blocks)


def _is_order(sentence: str) -> bool:
    bare = _QUOTE.sub(" ", sentence)
    return bool(
        OVERRIDE.search(bare) or EXTRACT.search(bare) or (ADDRESSED.search(bare) and ORDER.search(bare))
    )


def injected(text: str) -> list[str]:
    """The instructions in `text`: each line that gives the agent an order (quoted mentions left out),
    from the ordering sentence on, three sentences at most."""
    out = []
    for line in text.splitlines():
        sents = [x for x in re.split(r"(?<=[.!?])\s+", line.strip()) if x]
        for i in range(len(sents)):
            if _is_order(" ".join(sents[max(0, i - 1) : i + 1])):
                out.append(" ".join(sents[max(0, i - 1) : i + 3]))
                break
    return out


def payloads(sentences: list[str]) -> list[str]:
    """What the injection names for the agent to act on: commands, URLs, paths, addresses, quoted words."""
    found: list[str] = []
    for s in sentences:
        for rx in _PAYLOADS:
            found += [m.group(m.lastindex or 0) for m in rx.finditer(s)]
        found += [q[1:-1] for q in _QUOTE.findall(s)]
    return [p.strip() for p in dict.fromkeys(found) if len(p.strip()) >= 6]


def _acted(
    loads: list[str], calls: list[ToolUse], said: list[EntryView]
) -> tuple[str, list[str | None]] | None:
    """How the agent followed the injection: a later call carrying its payload, or a reply saying it."""
    for c in calls:
        args = " ".join(json.dumps(c.arguments, ensure_ascii=False).split())
        if any(" ".join(p.split()) in args for p in loads):
            return "tool", [c.call_entry_id, c.result_entry_id]
    for r in said:
        if any(p.lower() in r.text.lower() for p in loads):
            return "reply", [r.entry_id]
    return None


# Tools whose results the agent or OpenClaw wrote itself (not outside content): never scanned.
_INTERNAL_TOOLS = (
    "sessions_spawn", "sessions_yield", "sessions_send", "session_status", "subagents", "write", "edit",
    "apply_patch", "process", "cron", "memory_search", "memory_get", "canvas", "tts", "image_generate",
)  # fmt: skip
# Tools that bring outside content in (besides anything OpenClaw wrapped as untrusted): the weaker
# task-request signal is only looked for in their results.
_EXTERNAL_TOOLS = r"fetch|browser|search|read|mail|message|inbox|slack|discord|telegram|whatsapp|rss|feed"


def _not_asked(view: SessionView, t: ToolUse, tasks: list[str]) -> list[str]:
    """Task requests neither the user nor the agent made: a search answer that echoes its own query, or
    a page that repeats the user's question ("how much disk space is left"), plants nothing."""
    own = json.dumps(t.arguments, ensure_ascii=False)
    # = stems(own + " " + the human messages): no word spans the space, so the union of the two
    asked = stems(own) | _human_stems(view)
    return [t for t in tasks if len(stems(t) & asked) * 2 < max(1, len(stems(t)))]


_LAST_HUMAN: list[tuple[tuple[EntryView, ...], set[str]]] = [((), set())]


def _human_stems(view: SessionView) -> set[str]:
    """The stems of the session's human messages (kept for the last session: several outputs ask)."""
    entries, cached = _LAST_HUMAN[0]
    if entries is view.entries:
        return cached
    found = stems(" ".join(e.text for e in view.entries if is_human(e)))
    _LAST_HUMAN[0] = (view.entries, found)
    return found


def _turn_end(view: SessionView, at: int) -> int:
    return next((b for a, b in ((t.first_pos, t.last_pos) for t in turns(view)) if a <= at <= b), at)


def _source(t: ToolUse) -> str | None:
    url = t.arguments.get("url") or t.arguments.get("path") or t.exec_command
    return excerpt(str(url), 120) if url else None


class InjectedInstructions:
    id: ClassVar[str] = "prompt_injection.tool-content"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        "ignore_tools": list(_INTERNAL_TOOLS),
        "external_tools": _EXTERNAL_TOOLS,
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        ignore = set(param(params, self.defaults, "ignore_tools"))
        outside = re.compile(str(param(params, self.defaults, "external_tools")), re.I)
        for t in view.tools:
            if t.name in ignore or not t.result_entry_id or not t.output_text:
                continue
            low = t.output_text.lower()
            # cheap pre-check before unwrapping it (a loop of substring tests: one case-insensitive regex
            # alternation of the same words was measured 10x slower)
            strong = has_trigger(low)
            external = "EXTERNAL_UNTRUSTED_CONTENT" in t.output_text or bool(outside.search(t.name))
            if not (strong or external):
                continue
            text, wrapped = content_of(t.output_text)
            sentences = injected(text) if strong else []
            tasks = [] if sentences or not external else task_requests(text)
            if tasks:
                tasks = _not_asked(view, t, tasks)
            if not (sentences or tasks):
                continue
            yield self._finding(view, t, sentences or tasks, wrapped, uncertain=not sentences)

    def _finding(
        self, view: SessionView, t: ToolUse, sentences: list[str], wrapped: bool, uncertain: bool
    ) -> Finding:
        # positions and turns only for the rare output that carries an order
        pos = entry_pos(view)
        at = pos.get(t.result_entry_id or "", 0)
        end = _turn_end(view, at)
        calls = [c for c in view.tools if at < pos.get(c.call_entry_id or "", -1) <= end]
        said = [r for r in replies(view.entries) if at < r.pos <= end]
        loads = payloads(sentences)
        acted = _acted(loads, calls, said)
        what = "a task request aimed at an assistant" if uncertain else "instructions to the agent"
        return make_finding(
            self,
            view,
            anchor=t.result_entry_id or "",
            entry_ids=[t.result_entry_id, *(acted[1] if acted else [])],
            severity=FindingSeverity.CRITICAL if acted else FindingSeverity.WARNING,
            confidence=(0.9 if acted else 0.75) - (0.2 if uncertain else 0.0),
            message=f"{what} in {t.name} output"
            + (f", and it acted on them ({acted[0]})" if acted else ", not acted on"),
            evidence={
                "tool": t.name,
                "source": _source(t),
                "untrustedWrapper": wrapped,
                "instructions": [excerpt(s, 200) for s in sentences[:3]],
                "payloads": [excerpt(p, 80) for p in loads[:5]],
                "actedOn": acted[0] if acted else None,
                "signal": "task-request" if uncertain else "order",
                "uncertain": uncertain,
                "tier": "offline",
            },
        )


_GROUP_TYPES = ("group", "channel", "room")
_SECRET_HINT = re.compile(r"\b(sk|ghp|xox[bp]|AKIA)[-_A-Za-z0-9]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY")


def _group_chat(view: SessionView) -> bool:
    info = view.session
    parts = (info.key or "").lower().split(":")
    kind = info.chat_type or (parts[3] if len(parts) > 4 and parts[0] == "agent" else None)
    return kind in _GROUP_TYPES


def _leaked(view: SessionView, said: list[EntryView]) -> EntryView | None:
    """A reply that gives away the agent's own prompt (a line of a workspace file) or a secret."""
    lines = {
        " ".join(x.split()).lower()
        for text in view.workspace_files.values()
        for x in text.splitlines()
        if len(x.split()) >= 6 and not x.lstrip().startswith("#")
    }
    for r in said:
        flat = " ".join(r.text.split()).lower()
        if _SECRET_HINT.search(r.text) or any(x in flat for x in lines):
            return r
    return None


class ParticipantInjection:
    """In a group or channel anyone can address the agent: a member's message that overrides its
    instructions or asks for its prompt or secrets. A plain request to the bot ("@claw send the
    report") is not one: only an override or an extraction counts."""

    id: ClassVar[str] = "prompt_injection.participant-message"
    version: ClassVar[int] = 1
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:  # noqa: ARG002
        if not _group_chat(view):
            return
        for turn in turns(view):
            msg = turn.user
            if msg is None:
                continue
            bare = _QUOTE.sub(" ", msg.text)
            if not (OVERRIDE.search(bare) or EXTRACT.search(bare)):
                continue
            sentences = injected(msg.text) or [excerpt(msg.text, 200)]
            loads = payloads(sentences)
            said = replies(turn.entries)
            calls = [c for c in view.tools if c.call_entry_id in {e.entry_id for e in turn.entries}]
            acted = _acted(loads, calls, said)
            leak = _leaked(view, said)
            how = acted[0] if acted else ("leaked" if leak else None)
            cited = acted[1] if acted else ([leak.entry_id] if leak else [])
            yield make_finding(
                self,
                view,
                anchor=msg.entry_id,
                entry_ids=[msg.entry_id, *cited],
                severity=FindingSeverity.CRITICAL if how else FindingSeverity.WARNING,
                confidence=0.85 if how else 0.65,
                message="a chat member's message tries to override the agent or extract its prompt"
                + (f", and it complied ({how})" if how else ", not complied with"),
                evidence={
                    "instructions": [excerpt(s, 200) for s in sentences[:3]],
                    "payloads": [excerpt(p, 80) for p in loads[:5]],
                    "actedOn": how,
                    "tier": "offline",
                },
            )


register(InjectedInstructions())
register(ParticipantInjection())
