"""Labels by construction: match a recording's sessions to the scenario definitions and find the evidence.

A recorded session belongs to a root session by its key (the driver chose it) and to a sub-agent by
the script tag in its first user message (its task). For every label of the session's definition, the
`Evidence` selectors are run over the recorded entries; a selector that finds fewer entries than it
requires means the recording does not show what the scenario was built for, and the labels are refused
(`LabelError`) rather than written wrong. The result is the labels file described in
tests/fixtures/detect/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.conformance.corpus import config
from tests.conformance.corpus.reader import Recorded, text_of, tool_calls
from tests.conformance.corpus.spec import FAMILIES, Evidence, Kind, Scenario, Session
from tests.conformance.releases import Release
from tests.conformance.scripted import SCRIPT_TAG

FORMAT = "clawscope-detect-labels/1"


class LabelError(Exception):
    """The recording does not show what a scenario was built for."""


def flat(value: Any) -> str:
    """Every string and number inside a JSON value, space-separated (what a needle is matched on)."""
    if isinstance(value, dict):
        return " ".join(flat(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(flat(v) for v in value)
    return "" if value is None else str(value)


def _call_text(block: dict[str, Any]) -> str:
    args = block.get("arguments")
    return f"{block.get('name')} {flat(args)} {json.dumps(args, ensure_ascii=False)}"


def _result_text(message: dict[str, Any]) -> str:
    return text_of(message.get("content")) + " " + flat(message.get("details"))


def prompt_tokens(message: dict[str, Any]) -> int:
    usage = message.get("usage") or {}
    return int(usage.get("input") or 0) + int(usage.get("cacheRead") or 0)


def window_of(message: dict[str, Any]) -> int:
    return config.WINDOWS.get(str(message.get("model")), 128000)


def select(rec: Recorded, ev: Evidence) -> tuple[list[str], int]:
    """(entry ids, count) that a selector finds in one recorded session; count is what `min_count` means
    (tool-call blocks for CALL, entries otherwise)."""
    messages = rec.messages()
    found: list[str] = []
    count = 0
    if ev.kind is Kind.ANY:
        for alt in ev.alternatives:
            ids, n = select(rec, alt)
            found += [i for i in ids if i not in found]
            count += n
        return found, count
    if ev.kind is Kind.CALL:
        call_ids: set[str] = set()
        for eid, msg in messages:
            if msg.get("role") != "assistant":
                continue
            hits = [b for b in tool_calls(msg) if ev.needle in _call_text(b)]
            if hits:
                found.append(eid)
                count += len(hits)
                call_ids.update(str(b.get("id")) for b in hits)
        if ev.results:
            found += [
                eid
                for eid, msg in messages
                if msg.get("role") == "toolResult" and str(msg.get("toolCallId")) in call_ids
            ]
        return found, count
    if ev.kind is Kind.COMPACTION:
        found = [e["id"] for e in rec.entries if e.get("type") == "compaction" and "id" in e]
        return found, len(found)
    for eid, msg in messages:
        role = msg.get("role")
        if ev.kind is Kind.RESULT:
            hit = role == "toolResult" and ev.needle in _result_text(msg)
        elif ev.kind is Kind.REPLY:
            hit = role == "assistant" and ev.needle in text_of(msg.get("content"))
        elif ev.kind is Kind.USER:
            hit = role == "user" and ev.needle in text_of(msg.get("content"))
        elif ev.kind is Kind.ERROR:
            hit = role == "assistant" and msg.get("stopReason") in ("error", "aborted")
        elif ev.kind is Kind.PRESSURE:
            ratio = float(ev.needle)
            hit = role == "assistant" and prompt_tokens(msg) >= ratio * window_of(msg)
        else:  # TASK: the first user message
            hit = role == "user" and not any(
                m.get("role") == "user" for _, m in messages[: _index(messages, eid)]
            )
        if hit:
            found.append(eid)
    return found, len(found)


def _index(messages: list[tuple[str, dict[str, Any]]], eid: str) -> int:
    return next(i for i, (e, _) in enumerate(messages) if e == eid)


def first_user_tag(rec: Recorded) -> str | None:
    for _, msg in rec.messages():
        if msg.get("role") == "user":
            tag = SCRIPT_TAG.search(text_of(msg.get("content")))
            return tag.group(1) if tag else None
    return None


@dataclass
class Match:
    scenario: Scenario
    session: Session
    recorded: list[Recorded]


def match(scenarios: Iterable[Scenario], recorded: list[Recorded]) -> tuple[list[Match], list[Recorded]]:
    """Recorded sessions grouped by the scenario session they belong to; and the ones that belong to none."""
    by_key: dict[str, tuple[Scenario, Session]] = {}
    by_tag: dict[str, tuple[Scenario, Session]] = {}
    for sc in scenarios:
        for s in sc.sessions:
            by_tag[s.tag] = (sc, s)
            if not s.spawned:
                by_key[s.session_key()] = (sc, s)
    matches: dict[str, Match] = {}
    unknown = []
    for rec in recorded:
        tag = first_user_tag(rec)
        owner = by_key.get(rec.key or "") or by_tag.get((tag or "").split("-t")[0])
        if owner is None:
            unknown.append(rec)
            continue
        sc, s = owner
        matches.setdefault(s.name, Match(sc, s, [])).recorded.append(rec)
    return list(matches.values()), unknown


def session_labels(m: Match, problems: list[str]) -> dict[str, dict[str, Any]]:
    """The labels of each recorded session of one scenario session (usually exactly one); evidence that
    is not found is added to `problems`."""
    per_rec: dict[str, dict[str, list[str]]] = {r.session_id: {} for r in m.recorded}
    for lb in m.session.labels:
        for ev in lb.evidence:
            total = 0
            for rec in m.recorded:
                ids, count = select(rec, ev)
                total += count
                if ids:
                    bucket = per_rec[rec.session_id].setdefault(lb.family, [])
                    bucket += [i for i in ids if i not in bucket]
            if total < ev.min_count:
                problems.append(
                    f"{m.session.name}: {lb.family} evidence {ev.describe()!r} found {total} "
                    f"(needs {ev.min_count}) in sessions {[r.session_id for r in m.recorded]}"
                )
    out = {}
    for rec in m.recorded:
        entries = per_rec[rec.session_id]
        out[rec.session_id] = {
            "scenario": m.scenario.root.name,
            "session": m.session.name,
            "role": "child" if m.session.spawned else "root",
            "sessionKey": rec.key,
            "agent": rec.agent,
            "families": sorted(entries),
            "entries": {f: entries[f] for f in sorted(entries)},
            "subcases": {lb.family: lb.subcase for lb in m.session.labels if lb.family in entries},
            "hardNegativeFor": sorted(set(m.session.hard_negative_for) - set(entries)),
            "note": m.session.note,
        }
    return out


def build(rel: Release, scenarios: list[Scenario], recorded: list[Recorded]) -> dict[str, Any]:
    """The labels file of one recording; raises `LabelError` if any scenario did not come out as built."""
    matches, unknown = match(scenarios, recorded)
    problems = [f"recorded session {r.session_id} ({r.key}) belongs to no scenario" for r in unknown]
    seen = {m.session.name for m in matches}
    problems += [f"{s.name}: not recorded" for sc in scenarios for s in sc.sessions if s.name not in seen]
    sessions: dict[str, Any] = {}
    for m in sorted(matches, key=lambda m: m.session.name):
        sessions.update(session_labels(m, problems))
    if problems:
        raise LabelError(
            "the recording does not show what these scenarios were built for:\n  " + "\n  ".join(problems)
        )
    return {
        "format": FORMAT,
        "release": rel.version,
        "era": rel.era.value,
        "families": list(FAMILIES),
        "sessions": dict(sorted(sessions.items(), key=lambda kv: (kv[1]["session"], kv[0]))),
    }
