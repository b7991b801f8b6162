"""Corpus scenarios for `context_overflow`, and its hard negatives.

They run on the `scribe` agent, whose model (`fake-small`) has a 32,000-token window that the fake LLM
enforces the way a provider does (a longer prompt gets HTTP 400 "maximum context length"). The prompt
really grows: long pasted logs, tool output, turn after turn; OpenClaw then compacts on its own, or
fails the turn. How a release reacts differs (2026.9.x compacts after the turn, 2026.7.x checks before
the call and may refuse the prompt), so several labels accept any of the traces: a prompt at ≥ 75 % of
the window, compaction entries, an error row or OpenClaw's overflow reply. The negatives are long but
healthy: many short turns, one medium document, a big prompt on the 128k-window model.
"""

from __future__ import annotations

from tests.conformance.corpus.common import exec_
from tests.conformance.corpus.config import SCRIBE_AGENT
from tests.conformance.corpus.spec import (
    Scenario,
    Session,
    any_of,
    calls,
    compaction,
    error,
    fail,
    label,
    pressure,
    reply,
    say,
    turn,
)

C = "context_overflow"


def log_text(kind: str, lines: int) -> str:
    """A pasted log of 64 characters a line (16 prompt tokens a line for the fake LLM)."""
    return "".join(
        f"2026-11-21 {8 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d} {kind:<5} "
        f"worker=bake-{i % 7:02d} batch={i:05d} status=ok\n"
        for i in range(lines)
    )


def _session(
    name: str,
    *turns: tuple[str, str],
    labels: tuple = (),
    negative: tuple[str, ...] = (),
    note: str = "",
    agent: str = SCRIBE_AGENT,
    steps: tuple = (),
) -> Session:
    return Session(
        name,
        tuple(turn(prompt, *(steps or (say(answer),))) for prompt, answer in turns),
        labels,
        negative,
        note,
        agent=agent,
    )


OVERFLOW_TRACE = (reply("Context overflow"), compaction(), error())


def _positives() -> list[Scenario]:
    return [
        Scenario(
            _session(
                "context/near-window",
                ("Summarise this log:\n" + log_text("INFO", 1050), "Summary: all INFO."),
                labels=(
                    label(
                        C,
                        "one prompt at ≥ 75 % of the model's window",
                        any_of(pressure(0.75), *OVERFLOW_TRACE),
                    ),
                ),
                note="a 67k-character log in one turn on a 32k-token model",
            ),
            live=True,
        ),
        Scenario(
            _session(
                "context/growth-across-turns",
                *[
                    (f"Part {i} of the log:\n" + log_text("WARN", 200), f"Part {i} noted.")
                    for i in range(1, 8)
                ],
                labels=(
                    label(
                        C,
                        "the prompt grows turn after turn up to the window",
                        any_of(pressure(0.7), *OVERFLOW_TRACE),
                    ),
                ),
                note="seven turns, each adding ~3k tokens",
            ),
        ),
        Scenario(
            _session(
                "context/compaction-storm",
                *[(f"Batch {i}:\n" + log_text("ERROR", 800), f"Batch {i} summarised.") for i in range(1, 5)],
                labels=(label(C, "a compaction after turn after turn", compaction(min_count=2)),),
                note="four turns of ~13k tokens each on a 32k window: OpenClaw compacts again and again",
            ),
        ),
        Scenario(
            _session(
                "context/prompt-over-window",
                ("Check this dump:\n" + log_text("DEBUG", 2300), "Checked."),
                labels=(
                    label(
                        C, "a prompt larger than the window (context-length failure)", any_of(*OVERFLOW_TRACE)
                    ),
                ),
                note="a 147k-character paste: larger than the whole window",
            ),
        ),
        Scenario(
            _session(
                "context/tool-output-flood",
                ("Show me the numbers.", ""),
                steps=(
                    *[calls(exec_(f"seq {k}00000 {k}03999")) for k in range(1, 6)],
                    say("Those are the numbers."),
                ),
                labels=(label(C, "tool output fills the window", any_of(pressure(0.7), *OVERFLOW_TRACE)),),
                note="five commands printing 28k characters each (OpenClaw trims what the model sees)",
            ),
        ),
        Scenario(
            _session(
                "context/provider-context-error",
                ("Analyse the quarter.", ""),
                steps=(
                    fail(
                        400,
                        "This model's maximum context length is 32000 tokens. However, your messages "
                        "resulted in 33012 tokens. Please reduce the length of the messages.",
                    ),
                ),
                labels=(
                    label(
                        C,
                        "the provider rejects the prompt as too long (context-length error)",
                        any_of(*OVERFLOW_TRACE),
                    ),
                ),
                note="every call answered with a context-length error",
            ),
        ),
    ]


def _negatives() -> list[Scenario]:
    n = (C,)
    chat = [
        (f"Quick question {i}: which flour for the {kind} loaf?", f"Use {flour} flour for the {kind} loaf.")
        for i, (kind, flour) in enumerate(
            [
                ("rye", "rye"),
                ("spelt", "spelt"),
                ("white", "strong white"),
                ("brown", "wholemeal"),
                ("seeded", "malted"),
                ("sourdough", "bread"),
                ("brioche", "plain"),
                ("focaccia", "00"),
                ("bagel", "high-gluten"),
                ("soda", "soft wheat"),
                ("ciabatta", "00"),
                ("pumpernickel", "rye"),
            ],
            1,
        )
    ]
    return [
        Scenario(
            _session(
                "context-neg/long-healthy-chat",
                *chat,
                negative=n,
                note="twelve short turns; the prompt stays far below the window",
            ),
            live=True,
        ),
        Scenario(
            _session(
                "context-neg/medium-document",
                ("Summarise this log:\n" + log_text("INFO", 350), "Summary: all INFO."),
                negative=n,
                note="one document at about half the window",
            )
        ),
        Scenario(
            _session(
                "context-neg/big-prompt-big-window",
                ("Summarise this log:\n" + log_text("INFO", 1050), "Summary: all INFO."),
                negative=n,
                agent="main",
                note="the same 65k-character log on a 128k-token model",
            )
        ),
        Scenario(
            _session(
                "context-neg/many-small-calls",
                ("Count the files in each folder.", ""),
                steps=(
                    *[calls(exec_(f"ls /usr/share | head -{k} | wc -l")) for k in range(1, 13)],
                    say("Counted them all."),
                ),
                negative=(*n, "tool_abuse"),
                note="twelve small tool calls; little context",
            )
        ),
        Scenario(
            _session(
                "context-neg/two-medium-turns-main",
                ("First half:\n" + log_text("INFO", 450), "First half read."),
                ("Second half:\n" + log_text("INFO", 450), "Second half read."),
                negative=n,
                agent="main",
                note="two medium documents on the 128k-token model",
            )
        ),
    ]


def scenarios() -> list[Scenario]:
    return [*_positives(), *_negatives()]
