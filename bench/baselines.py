"""Baselines for the detectors, written before any detector: what a simple tool would flag.

    .venv/bin/python bench/baselines.py [--demo-sessions 400] [--json]

* `loop`: the three loop rules of OpenHands' StuckDetector, applied at every point of a session (the
  detector looks at the tail of the history as it grows): 4 identical action/observation pairs in a
  row; 3 identical actions in a row whose observations are errors; an A-B-A-B-A-B alternation of two
  action/observation pairs over 6 steps. An action is a tool call (real tool name after unwrapping
  OpenClaw's `tool_call`, and its canonical JSON arguments), its observation the tool result's text;
  an error is `isError`, `details.status` error/failed, or a non-zero `details.exitCode`.
* every other family: a keyword/regex list over the part of the transcript where that failure shows
  (tool-call arguments, tool results, assistant replies, user messages, the session key), the kind of
  rule a product ships first. No thresholds were tuned on the corpus.

It reads every committed corpus (tests/fixtures/detect/) and a generated demo, ingests each with
clawscope into a temporary SQLite store, reads the sessions back through the store, and prints per
family the session-level precision, recall, F1 and the share of findings that cite labelled entries
(`bench/scoring.py`). `predict(session)` is the function `bench/detect.py` puts next to the detectors.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from clawscope.dburl import sqlite_url  # noqa: E402
from corpus import Corpus, SessionView, demo, ingest_corpus, sessions, tuning  # noqa: E402
from results import write_section  # noqa: E402
from scoring import FAMILIES, Table, format_table, merge, score  # noqa: E402

Action = tuple[str, str]  # (tool name, canonical arguments)


# -- reading a session -------------------------------------------------------------------------------
def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def messages(s: SessionView) -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(e.get("id")), e["message"])
        for e in s.entries
        if e.get("type") == "message" and isinstance(e.get("message"), dict)
    ]


def unwrap(block: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(real tool name, its arguments): 2026.9.x calls most tools through `tool_call{id, args}`."""
    name, args = str(block.get("name")), block.get("arguments")
    args = args if isinstance(args, dict) else {}
    if name == "tool_call" and isinstance(args.get("id"), str):
        inner = args.get("args")
        return args["id"], inner if isinstance(inner, dict) else {}
    return name, args


def is_error(msg: dict[str, Any]) -> bool:
    details = msg.get("details") if isinstance(msg.get("details"), dict) else {}
    code = details.get("exitCode")
    return bool(msg.get("isError")) or details.get("status") in ("error", "failed") or code not in (None, 0)


def steps(s: SessionView) -> list[tuple[Action, str, bool, list[str]]]:
    """(action, observation, is error, [call entry id, result entry id]) for every tool call, in order."""
    results = {str(m.get("toolCallId")): (eid, m) for eid, m in messages(s) if m.get("role") == "toolResult"}
    out = []
    for eid, m in messages(s):
        if m.get("role") != "assistant" or not isinstance(m.get("content"), list):
            continue
        for block in m["content"]:
            if isinstance(block, dict) and block.get("type") == "toolCall":
                name, args = unwrap(block)
                rid, res = results.get(str(block.get("id")), ("", {}))
                obs = text_of(res.get("content"))
                out.append(((name, json.dumps(args, sort_keys=True)), obs, is_error(res), [eid, rid]))
    return out


# -- loop: OpenHands' StuckDetector rules --------------------------------------------------------------
def stuck_detector(s: SessionView) -> set[str] | None:
    """Entry ids of the first window where one of the three rules fires, or None."""
    hist = steps(s)
    for end in range(1, len(hist) + 1):
        tail = hist[:end]
        if len(tail) >= 4 and len({(a, o) for a, o, _, _ in tail[-4:]}) == 1:
            return {i for *_, ids in tail[-4:] for i in ids if i}
        if len(tail) >= 3 and len({a for a, *_ in tail[-3:]}) == 1 and all(e for _, _, e, _ in tail[-3:]):
            return {i for *_, ids in tail[-3:] for i in ids if i}
        if len(tail) >= 6:
            w = [(a, o) for a, o, _, _ in tail[-6:]]
            if w[0] == w[2] == w[4] and w[1] == w[3] == w[5] and w[0] != w[1]:
                return {i for *_, ids in tail[-6:] for i in ids if i}
    return None


# -- keyword / regex rules -----------------------------------------------------------------------------
def _calls(s: SessionView) -> list[tuple[str, str]]:
    """(entry id, "name + arguments" text) of every tool call."""
    return [(ids[0], f"{a[0]} {a[1]}") for a, _, _, ids in steps(s)]


def _results(s: SessionView) -> list[tuple[str, str]]:
    return [(eid, text_of(m.get("content"))) for eid, m in messages(s) if m.get("role") == "toolResult"]


def _replies(s: SessionView) -> list[tuple[str, str]]:
    return [(eid, text_of(m.get("content"))) for eid, m in messages(s) if m.get("role") == "assistant"]


def _users(s: SessionView) -> list[tuple[str, str]]:
    return [(eid, text_of(m.get("content"))) for eid, m in messages(s) if m.get("role") == "user"]


def _errors(s: SessionView) -> list[tuple[str, str]]:
    return [
        (eid, str(m.get("errorMessage") or ""))
        for eid, m in messages(s)
        if m.get("role") == "assistant" and m.get("stopReason") == "error"
    ]


def _grep(pattern: str, *parts: list[tuple[str, str]]) -> set[str]:
    rx = re.compile(pattern, re.I)
    return {eid for part in parts for eid, text in part if rx.search(text)}


RULES: dict[str, Callable[[SessionView], set[str]]] = {
    "tool_abuse": lambda s: (
        _grep(r"\b(gateway|secrets|nodes|sessions_history)\b", _calls(s))
        | (
            _grep(r"\b(error|failed|not found|denied|exit(ed)? (with )?code [1-9])", _results(s))
            if len(_grep(r"\b(error|failed|not found|denied|exit(ed)? (with )?code [1-9])", _results(s))) >= 3
            else set()
        )
    ),
    "elevated_risk": lambda s: _grep(
        r"\bsudo\b|rm\s+-rf\s+/|\|\s*(ba|z)?sh\b|chmod\s+(-R\s+)?777|crontab|authorized_keys|"
        r'"elevated":\s*true|"host":\s*"gateway"|"security":\s*"full"',
        _calls(s),
    ),
    "spawn_depth": lambda s: _grep(r"\(depth [3-9]/\d+\)", _users(s)),
    "channel_mismatch": lambda s: (
        _grep(
            r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d ()-]{8,}\d|\b(?:\d[ -]?){13,19}\b|"
            r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,}|"
            r"\b(xox[bp]|ghp|sk_live|AKIA)[\w-]+",
            _replies(s),
        )
        if re.search(r":(group|channel|room):", s.key or "")
        else set()
    ),
    "sandbox_escape": lambda s: _grep(
        r"\.ssh/|id_rsa|\.aws/credentials|/etc/|\.\./|--data|-X POST|\bscp\b|\bnc\b|sqlite3|psql", _calls(s)
    ),
    "coordination_failure": lambda s: (
        _grep(
            r"status: (failed|timeout)|not found|no session|forbidden|failed|timed out",
            _results(s),
            _replies(s),
        )
        if _grep(r"sessions_(spawn|send)", _calls(s))
        else set()
    ),
    "persona_drift": lambda s: _grep(
        r"\b(stocks?|invest\w*|options|crypto|bitcoin|diagnos\w*|ibuprofen|vote|party|court|sue|lawyer|pirate|"
        r"matey|python|def |import )\b",
        _replies(s),
    ),
    "hallucination": lambda s: _grep(
        r"\b(all (\d+ )?(unit )?(tests|checks) (passed|pass)|succeeded|successfully|everything is green|"
        r"I('ve| have) (deployed|sent|emailed|fixed|completed|finished))\b",
        _replies(s),
    ),
    "context_overflow": lambda s: (
        _grep(
            r"context (length|window|overflow)|maximum context|prompt too large|too many tokens",
            _replies(s),
            _errors(s),
        )
        | {str(e.get("id")) for e in s.entries if e.get("type") == "compaction"}
    ),
    "prompt_injection": lambda s: _grep(
        r"ignore (all |your |the )?(previous|prior|above) instructions|system (override|message)|"
        r"disregard (the|your|all)|you are now|new (task|instructions)|note to any ai",
        _results(s),
    ),
}


def predict(s: SessionView) -> dict[str, set[str]]:
    """Which families the baselines flag in one session, with the entries they cite."""
    out: dict[str, set[str]] = {}
    loop = stuck_detector(s)
    if loop is not None:
        out["loop"] = loop
    for family, rule in RULES.items():
        hits = rule(s)
        if hits:
            out[family] = hits
    return out


def run(corpus: Corpus, work: Path) -> Table:
    store = ingest_corpus(corpus, sqlite_url(work / (corpus.name + ".db")))
    try:
        predictions = {v.session_id: predict(v) for v in sessions(store, sorted(corpus.labels))}
    finally:
        store.close()
    return score(predictions, corpus.labels, FAMILIES)


def corpora(work: Path, demo_sessions: int) -> Iterable[Corpus]:
    yield from tuning()
    if demo_sessions:
        for era in ("jsonl", "sqlite"):
            yield demo(work / f"demo-{era}", sessions=demo_sessions, agents=3, era=era, seed=7)


def main() -> int:
    parser = argparse.ArgumentParser(description="print the detection baselines on every labelled corpus")
    parser.add_argument("--demo-sessions", type=int, default=400, help="demo size (0: no demo)")
    parser.add_argument("--json", action="store_true", help="print the tables as JSON")
    parser.add_argument("--no-record", action="store_true", help="do not rewrite its section of RESULTS.md")
    args = parser.parse_args()
    tables: dict[str, Table] = {}
    with tempfile.TemporaryDirectory(prefix="clawscope-baselines-") as tmp:
        for corpus in corpora(Path(tmp), args.demo_sessions):
            tables[corpus.name] = run(corpus, Path(tmp))
    tables["all"] = merge(*tables.values())
    if args.json:
        print(json.dumps({name: t.as_dict() for name, t in tables.items()}, indent=1))
        return 0
    title = "Baselines: OpenHands StuckDetector rules (loop), keyword/regex lists (other families)"
    body = "\n".join(format_table(table, name) for name, table in tables.items())
    print(title + "\n\n" + body)
    if not args.no_record:
        write_section("baselines", "bench/baselines.py", title + ", on every labelled corpus.\n\n" + body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
