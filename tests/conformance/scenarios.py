"""The scenarios every pinned release runs, as data: what is sent to OpenClaw and what it must cause.

Each agent turn carries a `[[scenario:NAME]]` marker so the fake LLM's log attributes every model call
to the scenario that caused it; the expected values are computed from that log (see `expected.py`).
Turns reach the running gateway either as a user types them (`openclaw agent`) or through its
OpenAI-compatible HTTP endpoint routed into the same main session (`x-openclaw-session-key`, documented
in `docs/gateway/openai-http-api.md` of every pinned release). The HTTP route costs no Node start-up
(about 7 s per `openclaw agent` call here), which keeps the tier within its time budget.
Order (see `driver.Driver.run`): the failing turn starts in the background; the first block runs, then
clawscope ingests the live state, then a sub-agent spawn runs while clawscope ingests concurrently, then
the cron run, the OpenAI-API request and the last block; a final ingest follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.conformance.occonfig import MAIN_AGENT, MODEL_B, PROVIDER, SECOND_AGENT
from tests.conformance.releases import Release

PLAIN = "plain"
EXEC = "exec"
READ_MISSING = "read-missing"
LARGE_OUTPUT = "large-output"
FAIL_500 = "fail500"
SPAWN = "spawn"
SPAWN_CHILD = "spawn-child"
CRON = "cron"
HTTP_API = "http-api"
SECOND_AGENT_TURN = "second-agent"
MODEL_OVERRIDE = "model-override"

MISSING_PATH = "/nonexistent/clawscope-conformance/missing.txt"
LARGE_COMMAND = "seq 1 1500"  # 6,393 bytes of output: a toolResult far above the 1 KiB zstd threshold
LARGE_OUTPUT_BYTES = sum(len(str(i)) + 1 for i in range(1, 1501))
CHILD_LABEL = "conformance-child"
SPAWN_ANSWER_DELAY_S = 2
CRON_JOB_NAME = "conformance-job"


def marker(scenario: str) -> str:
    return f"[[scenario:{scenario}]]"


def session_marker(scenario: str) -> str:
    """Claims a whole conversation for a scenario (a sub-agent's task: its announce may quote it)."""
    return f"[[session:{scenario}]]"


def tool_directive(rel: Release, tool: str, args: dict[str, Any]) -> str:
    """A fake-LLM tool directive; tools a release only offers through Tool Search go via `tool_call`."""
    if tool in rel.wrapped_tools:
        return "[[tool:tool_call " + json.dumps({"id": tool, "args": args}) + "]]"
    return f"[[tool:{tool} " + json.dumps(args) + "]]"


MAIN_SESSION_KEY = f"agent:{MAIN_AGENT}:main"
CLI = "cli"
HTTP = "http"


@dataclass(frozen=True)
class AgentTurn:
    """One agent turn through the running gateway."""

    scenario: str
    message: str
    agent: str = MAIN_AGENT
    model: str | None = None  # provider/id for this turn only (`--model` / `x-openclaw-model`)
    expect_ok: bool | None = True  # the CLI exits 0 / HTTP answers 200; None: release-dependent
    via: str = HTTP  # CLI: `openclaw agent --agent A`; HTTP: /v1/chat/completions into a session
    session_key: str | None = None  # HTTP only; default: the agent's main session


def first_block(rel: Release) -> list[AgentTurn]:
    """Turns before the first live ingest."""
    return [
        AgentTurn(PLAIN, f"{marker(PLAIN)} [[think]] Hello there, this is a plain turn.", via=CLI),
        AgentTurn(
            EXEC, f"{marker(EXEC)} Run it: " + tool_directive(rel, "exec", {"command": "echo conformance-ok"})
        ),
        AgentTurn(
            READ_MISSING,
            f"{marker(READ_MISSING)} Read it: " + tool_directive(rel, "read", {"path": MISSING_PATH}),
        ),
        AgentTurn(
            LARGE_OUTPUT,
            f"{marker(LARGE_OUTPUT)} Count: " + tool_directive(rel, "exec", {"command": LARGE_COMMAND}),
        ),
    ]


FAILURE_SESSION_KEY = f"agent:{SECOND_AGENT}:upstream-failure"


def failing_turn() -> AgentTurn:
    """Fails upstream on every attempt; runs in the background, alongside the other scenarios, because
    OpenClaw's retries take long (except where `Release.concurrent_failing_turn` is off: then it runs
    last, on its own). It has a session of its own: a 2026.9.6 turn that
    arrives in the same session while the failing one retries makes OpenClaw drop the error row
    ("Failed to persist terminal assistant error: session rebound"). How the failure is reported differs
    by release (HTTP 200 in 2026.3.24, 408 in 2026.7.35 about 100 s after the run failed, 502 in
    2026.9.6), so only the retries and the stored error rows are checked.
    """
    message = f"{marker(FAIL_500)} This turn fails upstream: [[fail500]]"
    return AgentTurn(FAIL_500, message, agent=SECOND_AGENT, expect_ok=None, session_key=FAILURE_SESSION_KEY)


def spawn_turn(rel: Release) -> AgentTurn:
    """The sub-agent spawn (runs while clawscope ingests concurrently)."""
    task = f"{session_marker(SPAWN_CHILD)} Say hello from the child."
    args = {"task": task, "label": CHILD_LABEL}
    # Slow answers keep the turn provably in flight while the driver runs the concurrent ingest.
    message = f"{marker(SPAWN)} [[slow:{SPAWN_ANSWER_DELAY_S}]] Delegate: "
    return AgentTurn(SPAWN, message + tool_directive(rel, "sessions_spawn", args))


def cron_message(rel: Release) -> str:
    return f"{marker(CRON)} Scheduled check: " + tool_directive(rel, "exec", {"command": "echo cron-ok"})


def cron_add_args(rel: Release) -> list[str]:
    """`openclaw cron add …`: an hourly isolated job, run once by hand (`cron run`) right after."""
    args = "cron add --agent {agent} --name {name} --every 1h --session isolated --no-deliver --json"
    argv = args.format(agent=MAIN_AGENT, name=CRON_JOB_NAME).split()
    return [*argv, "--message", cron_message(rel)]


def http_api_message() -> str:
    return f"{marker(HTTP_API)} Hello through the OpenAI-compatible HTTP API."


def last_block(rel: Release) -> list[AgentTurn]:
    """Turns after the cron run and the HTTP API request."""
    return [
        AgentTurn(
            SECOND_AGENT_TURN,
            f"{marker(SECOND_AGENT_TURN)} Ops check: "
            + tool_directive(rel, "exec", {"command": "echo ops-ok"}),
            agent=SECOND_AGENT,
            via=CLI,
        ),
        AgentTurn(
            MODEL_OVERRIDE,
            f"{marker(MODEL_OVERRIDE)} Same session, other model.",
            model=f"{PROVIDER}/{MODEL_B}",
        ),
    ]
