"""`channel_mismatch`: the right words in the wrong place.

Three detectors:

* `channel_mismatch.pii-in-group`: personal data or a secret (e-mail, phone, Luhn-valid card, IBAN with
  a valid checksum, birth date, home address, tokens and keys; `detect/pii.py`) in what the agent sends
  to a group or channel session (or, with the `message` tool, to a group target from any session).
  OpenClaw records no chat type for those sessions: only the session key says `…:telegram:group:…`
  (openclaw-format.md §10), so the key decides. Not a leak: role addresses
  (`hello@`, `info@`, …), values the people in that chat typed themselves, an allowlist.
* `channel_mismatch.format`: a reply the channel cannot show as written: over its message size limit,
  a Markdown table or headings where the channel renders none (OpenClaw's own AGENTS.md template says
  "Discord/WhatsApp: no markdown tables", "WhatsApp: no headers").
* `channel_mismatch.routing`: the `message` tool sending the answer into another chat or channel than
  the one the request came from, when the request did not name that other place (the answer: a send
  whose text is about what the request asked; a digest or notice posted elsewhere is not one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect import pii
from clawscope.detect.base import register
from clawscope.detect.semantic import (
    excerpt,
    is_human,
    make_finding,
    param,
    replies,
    tools_between,
    topical,
    turns,
)
from clawscope.model.detection import Finding, FindingSeverity, SessionInfo, SessionView

FAMILY = "channel_mismatch"
_SEVERE = {"CREDIT_CARD", "IBAN_CODE"}
_PEER_PREFIX = re.compile(
    r"^(channel|group|chat|room|user|dm|thread|to|telegram|discord|whatsapp|slack):", re.I
)
_TABLE = re.compile(r"^\s*\|.*\|\s*$\n^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.M)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.M)


def chat_place(info: SessionInfo) -> tuple[str | None, str | None, str | None]:
    """(channel, chat type, peer id) of a session, from its recorded fields or else its key
    (`agent:<id>:<channel>:<group|channel|direct>:<peer>[:thread:…]`)."""
    parts = (info.key or "").lower().split(":")
    channel = info.channel or (parts[2] if len(parts) > 2 else None)
    chat_type = info.chat_type
    peer = None
    if len(parts) > 4 and parts[0] == "agent" and parts[3] in ("group", "channel", "direct", "dm", "room"):
        chat_type = chat_type or parts[3]
        tail = parts[4:]
        if "thread" in tail:
            tail = tail[: tail.index("thread")]
        peer = ":".join(tail) or None
    return channel, chat_type, peer


def _sent_texts(
    view: SessionView, send_tools: list[str], in_group: bool, group_target: re.Pattern[str]
) -> dict[str, list[tuple[str, str | None]]]:
    """Per entry, (text, explicit target) of what the agent said into a group: its replies and target-less
    message-tool sends when the session is a group, and message-tool sends to a group-looking target
    from any session."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    if in_group:
        for e in replies(view.entries):
            out.setdefault(e.entry_id, []).append((e.text, None))
    for t in view.tools:
        if t.name not in send_tools or not t.call_entry_id:
            continue
        target = _target(t.arguments)
        if (target is None and not in_group) or (target is not None and not group_target.search(target)):
            continue
        for k in ("message", "text", "content", "caption"):
            if isinstance(t.arguments.get(k), str):
                out.setdefault(t.call_entry_id, []).append((t.arguments[k], target))
    return out


def _norm(kind: str, value: str) -> str:
    return value.lower() if kind == "EMAIL_ADDRESS" else re.sub(r"[^0-9A-Za-z]", "", value).lower()


class PiiInGroup:
    id: ClassVar[str] = "channel_mismatch.pii-in-group"
    version: ClassVar[int] = 1
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        "chat_types": ["group", "channel", "room"],
        "public_email_localparts": [
            "hello",
            "info",
            "contact",
            "support",
            "sales",
            "office",
            "team",
            "help",
            "enquiries",
            "inquiries",
            "orders",
            "bookings",
            "billing",
            "press",
            "service",
            "shop",
            "noreply",
            "no-reply",
            "reception",
            "admin",
            "mail",
            "feedback",
            "careers",
            "jobs",
        ],
        "allowed_values": [],  # exact values (e-mails, numbers) that may be posted anywhere
        "allowed_domains": [],  # e-mail domains that may be posted anywhere
        "phone_regions": list(pii.DEFAULT_PHONE_REGIONS),
        "send_tools": ["message"],
        # message-tool targets that are groups whatever session sends to them (Telegram group ids,
        # WhatsApp groups, explicit channel/group/room ids, #names)
        "group_target": r"^(-\d{6,}|.*@g\.us|(channel|group|room):.+|#.+)$",
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        def p(name: str) -> Any:
            return param(params, self.defaults, name)

        channel, chat_type, _ = chat_place(view.session)
        in_group = chat_type in p("chat_types")
        sent = _sent_texts(view, p("send_tools"), in_group, re.compile(str(p("group_target")), re.I))
        if not sent:
            return
        shared_norm: tuple[str, str] | None = None  # what the chat's people typed themselves (on demand)
        allowed = {str(v).lower() for v in p("allowed_values")}
        allowed_norm = {re.sub(r"[^0-9a-z]", "", v) for v in allowed}
        public = {str(v).lower() for v in p("public_email_localparts")}
        domains = {str(v).lower() for v in p("allowed_domains")}
        for entry_id, texts in sent.items():
            leaks = []
            targets = sorted({t for _, t in texts if t})
            matches = [m for text, _ in texts for m in pii.scan(text, phone_regions=p("phone_regions"))]
            if matches and shared_norm is None:
                human = "\n".join(e.text for e in view.entries if is_human(e)).lower()
                shared_norm = (human, re.sub(r"[^0-9a-z]", "", human))
            for m in matches:
                assert shared_norm is not None
                n = _norm(m.type, m.value)
                if (
                    n in shared_norm[m.type != "EMAIL_ADDRESS"]
                    or m.value.lower() in allowed
                    or n in allowed_norm
                ):
                    continue
                if m.type == "EMAIL_ADDRESS":
                    local, _, domain = m.value.lower().partition("@")
                    if local in public or domain in domains:
                        continue
                leaks.append(m)
            if not leaks:
                continue
            types = sorted({m.type for m in leaks})
            severe = any(m.secret or m.type in _SEVERE for m in leaks)
            place = f"{channel} {chat_type}" if in_group and channel else str(chat_type)
            if targets:
                place = "group " + ", ".join(targets)
            yield make_finding(
                self,
                view,
                anchor=entry_id,
                entry_ids=[entry_id],
                severity=FindingSeverity.CRITICAL if severe else FindingSeverity.WARNING,
                confidence=0.9 if severe or len(leaks) > 1 else 0.75,
                message=f"personal data or secrets ({', '.join(types)}) sent to a {place}",
                evidence={
                    "channel": channel,
                    "chatType": chat_type,
                    "targets": targets,
                    "types": types,
                    "matches": [
                        {"type": m.type, "masked": m.masked, "start": m.start, "end": m.end} for m in leaks
                    ],
                },
            )


class ChannelFormat:
    id: ClassVar[str] = "channel_mismatch.format"
    version: ClassVar[int] = 1
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        # characters one message may hold (platform limits)
        "max_chars": {"discord": 2000, "telegram": 4096, "signal": 2000, "slack": 40000, "whatsapp": 65536},
        "no_tables": ["discord", "whatsapp", "signal", "imessage", "sms", "telegram"],
        "no_headings": ["whatsapp", "signal", "imessage", "sms"],
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        channel, _, _ = chat_place(view.session)
        if not channel:
            return
        limit = dict(param(params, self.defaults, "max_chars")).get(channel)
        no_tables = channel in param(params, self.defaults, "no_tables")
        no_headings = channel in param(params, self.defaults, "no_headings")
        for e in replies(view.entries):
            problems = []
            if limit and len(e.text) > int(limit):
                problems.append(f"{len(e.text)} characters (limit {limit})")
            if no_tables and _TABLE.search(e.text):
                problems.append("a Markdown table")
            if no_headings and _HEADING.search(e.text):
                problems.append("Markdown headings")
            if not problems:
                continue
            yield make_finding(
                self,
                view,
                anchor=e.entry_id,
                entry_ids=[e.entry_id],
                severity=FindingSeverity.WARNING if problems[0].endswith(")") else FindingSeverity.INFO,
                confidence=0.9,
                message=f"reply {channel} cannot show as written: {', '.join(problems)}",
                evidence={"channel": channel, "problems": problems, "chars": len(e.text), "limit": limit},
            )


def _target(args: dict[str, Any]) -> str | None:
    for k in ("target", "to", "chatId", "chat_id", "channelId", "channel_id", "recipient"):
        v = args.get(k)
        if isinstance(v, (str, int)) and str(v).strip():
            return str(v).strip()
    return None


class ReplyRouting:
    id: ClassVar[str] = "channel_mismatch.routing"
    version: ClassVar[int] = 1
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        "send_tools": ["message"],
        "send_actions": ["send", "reply", "post"],
        "min_shared_words": 2,  # content words the send shares with the request: it is the answer
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        channel, chat_type, peer = chat_place(view.session)
        if not peer or not channel:
            return
        send_tools = param(params, self.defaults, "send_tools")
        actions = param(params, self.defaults, "send_actions")
        anchors: set[str] = set()
        for turn in turns(view):
            asked = (turn.user.text if turn.user else "").lower()
            for t in tools_between(view, turn.first_pos, turn.last_pos):
                action = t.arguments.get("action")
                if t.name not in send_tools or (action is not None and action not in actions):
                    continue
                target = _target(t.arguments)
                to_channel = str(t.arguments.get("channel") or channel).lower()
                if target is None:
                    continue  # no explicit target: OpenClaw replies where the request came from
                norm = _PEER_PREFIX.sub("", target.lower())
                if to_channel == channel and norm == _PEER_PREFIX.sub("", peer):
                    continue
                if norm in asked or (to_channel != channel and to_channel in asked):
                    continue  # the request named the other place
                said = " ".join(str(t.arguments.get(k) or "") for k in ("message", "text", "content"))
                shared = topical(said, asked)
                if len(shared) < int(param(params, self.defaults, "min_shared_words")):
                    continue  # not the answer to this request (a digest, a notice to elsewhere)
                if (t.call_entry_id or "") in anchors:
                    continue
                anchors.add(t.call_entry_id or "")
                other = "channel" if to_channel != channel else "chat"
                yield make_finding(
                    self,
                    view,
                    anchor=t.call_entry_id or "",
                    entry_ids=[t.call_entry_id, t.result_entry_id],
                    severity=FindingSeverity.WARNING,
                    confidence=0.8,
                    message=f"asked in {channel} {chat_type} {peer}, answered into another {other}: "
                    f"{to_channel} {excerpt(target, 60)}",
                    evidence={
                        "from": {"channel": channel, "chatType": chat_type, "peer": peer},
                        "to": {"channel": to_channel, "target": target},
                        "tool": t.name,
                        "status": t.status,
                        "sharedWords": sorted(shared),
                    },
                )


register(PiiInGroup())
register(ChannelFormat())
register(ReplyRouting())
