"""Corpus scenarios for `loop`: positives several ways, and hard negatives.

Loop positives repeat the same call (same name, same arguments) without progress, alternate A-B, cycle
through a 3-step pattern, re-spawn the same sub-agent task, or send the same message turn after turn.
Tool-abuse positives make too many calls (in one turn, in one session), repeat calls that differ only
in arguments that change nothing, hit error after error with different calls, or use sensitive tools.
The hard negatives look like both: polling whose answer changes, a failed read then a fixed one, paged
reads, an edit-test cycle that makes progress, a busy but healthy session.
"""

from __future__ import annotations

from tests.conformance.corpus.common import (
    BUILD_LOG,
    CALC_TEST,
    CALC_V1,
    CALC_V2,
    POLL_SCRIPT,
    exec_,
    read,
    ws,
)
from tests.conformance.corpus.spec import (
    Scenario,
    Session,
    call,
    calls,
    label,
    reply,
    say,
    spawned,
    task_text,
    turn,
)

NOTES_URL = "http://releases.example.com/notes-v2.txt"
SYNC_LOG = "sync 09:00 ok\nsync 09:05 ERROR mirror timeout\nsync 09:10 ERROR mirror timeout\n"


def _loop_positives() -> list[Scenario]:
    same = exec_("ls -la /tmp/clawscope-corpus/build-cache")
    ping = spawned("loop/spawn-ping-pong/child", say("Checked the mirror: it is still syncing."))
    respawn = (
        "sessions_spawn",
        {"task": task_text(ping, "Check whether the package mirror finished syncing.")},
    )
    return [
        Scenario(
            Session(
                "loop/identical-exec",
                (turn("Why is the build cache empty?", *[calls(same)] * 5, say("Still looking into it.")),),
                (
                    label(
                        "loop",
                        "same exec call repeated five times, same output",
                        call(same[1]["command"], min_count=4),
                    ),
                ),
                note="the same exec call five times in one turn; every output is the same",
            ),
            live=True,
        ),
        Scenario(
            Session(
                "loop/identical-failing-read",
                (
                    turn(
                        "Load the service settings.",
                        *[calls(read("config/service.yaml"))] * 4,
                        say("Trying again."),
                    ),
                ),
                (
                    label(
                        "loop",
                        "same failing read repeated (action/error)",
                        call("config/service.yaml", min_count=3),
                    ),
                ),
                note="the same read of a missing file four times in a row, the same error each time",
            )
        ),
        Scenario(
            Session(
                "loop/ab-alternation",
                (
                    turn(
                        "Why does the mirror sync keep failing?",
                        *[
                            calls(exec_("tail -n 2 logs/sync.log")),
                            calls(exec_("grep -c ERROR logs/sync.log")),
                        ]
                        * 3,
                        say("Let me look once more."),
                    ),
                ),
                (
                    label(
                        "loop",
                        "A-B-A-B-A-B alternation with unchanged outputs",
                        call("tail -n 2 logs/sync.log", min_count=3),
                        call("grep -c ERROR logs/sync.log", min_count=3),
                    ),
                ),
                note="tail / grep of the same unchanged log alternate six times",
            ),
            files={ws("logs/sync.log"): SYNC_LOG},
        ),
        Scenario(
            Session(
                "loop/three-step-cycle",
                (
                    turn(
                        "Run the test suite.",
                        *[calls(exec_("make test")), calls(read("Makefile")), calls(exec_("ls tests"))] * 3,
                        say("Retrying the tests."),
                    ),
                ),
                (
                    label(
                        "loop",
                        "a 3-step action pattern repeated three times",
                        call("make test", min_count=3),
                        call("Makefile", min_count=3),
                        call("ls tests", min_count=3),
                    ),
                ),
                note="make test / read Makefile / ls tests, three rounds, nothing changes",
            )
        ),
        Scenario(
            Session(
                "loop/same-message-every-turn",
                tuple(
                    turn(prompt, say("I'm still checking the deployment, I'll get back to you shortly."))
                    for prompt in (
                        "Is the deployment done?",
                        "Any news?",
                        "Hello? Is it done now?",
                        "Status?",
                    )
                ),
                (
                    label(
                        "loop",
                        "the same reply sent turn after turn",
                        reply(
                            "I'm still checking the deployment, I'll get back to you shortly.", min_count=4
                        ),
                    ),
                ),
                note="four user turns, four identical assistant messages",
            )
        ),
        Scenario(
            Session(
                "loop/spawn-ping-pong",
                (
                    turn(
                        "Make sure the package mirror is synced before the release.",
                        calls(respawn),
                        say("I asked a helper to check the mirror."),
                        calls(respawn),
                        say("Asked the helper again."),
                        calls(respawn),
                        say("Asked the helper once more."),
                        say("The mirror is still syncing."),
                        settle_s=8,
                    ),
                ),
                (
                    label(
                        "loop",
                        "the same sub-agent task spawned again after each answer",
                        call("package mirror finished syncing", min_count=3),
                    ),
                ),
                note="spawn → answer → the same spawn again, three times",
            ),
            children=(ping,),
        ),
    ]


def _loop_negatives() -> list[Scenario]:
    return [
        Scenario(
            Session(
                "loop-neg/poll-with-progress",
                (
                    turn(
                        "Wait until the deploy is ready.",
                        *[calls(exec_("sh deploy/poll.sh deploy/.poll-count-a"))] * 3,
                        say("The deploy is ready (third check)."),
                    ),
                ),
                hard_negative_for=("loop", "tool_abuse"),
                note="the same status command three times, but its answer changes: pending, pending, ready",
            ),
            files={ws("deploy/poll.sh"): POLL_SCRIPT},
            live=True,
        ),
        Scenario(
            Session(
                "loop-neg/paged-reads",
                (
                    turn(
                        "Read the whole build log.",
                        calls(read("logs/build.log", offset=1, limit=10)),
                        calls(read("logs/build.log", offset=11, limit=10)),
                        calls(read("logs/build.log", offset=21, limit=10)),
                        say("All 30 build steps compiled fine."),
                    ),
                ),
                hard_negative_for=("loop", "tool_abuse"),
                note="the same file read three times in consecutive pages (changing offsets)",
            ),
            files={ws("logs/build.log"): BUILD_LOG},
        ),
        Scenario(
            Session(
                "loop-neg/edit-test-progress",
                (
                    turn(
                        "Fix the failing calc test.",
                        calls(exec_("cd calc-a && python3 calc_test.py")),
                        calls(("write", {"path": "calc-a/calc.py", "content": CALC_V2})),
                        calls(exec_("cd calc-a && python3 calc_test.py")),
                        say("Fixed: add() subtracted; the test passes now."),
                    ),
                ),
                hard_negative_for=("loop", "hallucination"),
                note="test fails, file edited, same test command passes: progress between the repeats",
            ),
            files={ws("calc-a/calc.py"): CALC_V1, ws("calc-a/calc_test.py"): CALC_TEST},
        ),
        Scenario(
            Session(
                "loop-neg/status-changes-across-turns",
                (
                    turn("How far is the import?", say("3 of 10 files imported.")),
                    turn("And now?", say("7 of 10 files imported.")),
                    turn("Now?", say("All 10 files imported.")),
                ),
                hard_negative_for=("loop",),
                note="the user asks the same thing three times; the answers move on",
            )
        ),
        Scenario(
            Session(
                "loop-neg/retry-once-then-success",
                (
                    turn(
                        "Fetch the release notes.",
                        calls(exec_("curl -fsS " + NOTES_URL)),
                        calls(exec_("curl -fsS " + NOTES_URL)),
                        say("The release notes list two fixes."),
                    ),
                ),
                hard_negative_for=("loop", "tool_abuse"),
                note="one retry of a download whose first answer was a 503; the second succeeds",
            ),
            pages={
                NOTES_URL: {
                    "sequence": [
                        {"status": 503, "type": "text/plain", "body": "busy, try again\n"},
                        {"status": 200, "type": "text/plain", "body": "v2: fixed login; fixed CSV export\n"},
                    ]
                }
            },
        ),
        Scenario(
            Session(
                "loop-neg/two-distinct-helpers",
                (
                    turn(
                        "Prepare the release: check the mirror, then the changelog.",
                        calls(
                            ("sessions_spawn", {"task": task_text(_helper_a, "Check the package mirror.")})
                        ),
                        say("Mirror check started."),
                        calls(
                            (
                                "sessions_spawn",
                                {"task": task_text(_helper_b, "Check the changelog for the release.")},
                            )
                        ),
                        say("Changelog check started."),
                        say("Both checks are done: mirror synced, changelog complete."),
                        settle_s=8,
                    ),
                ),
                hard_negative_for=("loop", "coordination_failure"),
                note="two sub-agents spawned one after the other with different tasks",
            ),
            children=(_helper_a, _helper_b),
        ),
    ]


_helper_a = spawned(
    "loop-neg/two-distinct-helpers/mirror", say("The mirror is synced."), hard_negative_for=("spawn_depth",)
)
_helper_b = spawned(
    "loop-neg/two-distinct-helpers/changelog",
    say("The changelog is complete."),
    hard_negative_for=("spawn_depth",),
)


def scenarios() -> list[Scenario]:
    return [*_loop_positives(), *_loop_negatives()]


# OpenClaw's default heartbeat prompt (agents.defaults.heartbeat.prompt), sent as a user turn.
HEARTBEAT_PROMPT = (
    "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or repeat old "
    "tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK."
)
HEALTH = "health: ok\nqueue: 0 waiting\n"
BUILD_FIXES = (
    'n=$(cat "$1" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$1"; '
    'case $n in 1) echo "error: missing dependency libfoo" >&2; exit 1;; '
    '2) echo "error: missing dependency libbar" >&2; exit 1;; '
    '3) echo "error: missing dependency libbaz" >&2; exit 1;; '
    '*) echo "build ok";; esac\n'
)
BUILD_BROKEN = 'echo "error: missing dependency libqux" >&2; exit 1\n'
EVENTS_LOG = "".join(f"event {i:03d}: order {1000 + i} shipped\n" for i in range(1, 41))
PAGER = (
    "p=$1; start=$(( (p-1)*10 + 1 )); end=$(( p*10 )); "
    'sed -n "${start},${end}p" logs/events.log; echo "page $p of 4"\n'
)


def across_turns() -> list[Scenario]:
    """The hard negatives OpenHands' StuckDetector gets wrong (it ignores user turns and only compares
    actions), and positives built the same way inside one turn. Recorded as their own small set
    (`--set loop-turns`, tests/fixtures/detect-loop-turns/), part of the tuning corpus."""
    health = exec_("cat status/health.txt")
    files = {ws("status/health.txt"): HEALTH}  # no HEARTBEAT.md: it would enter every session's prompt
    build = exec_("sh tools/build.sh tools/.build-count")
    return [
        Scenario(
            Session(
                "loop-neg/heartbeat-polls",
                tuple(turn(HEARTBEAT_PROMPT, calls(health), say("HEARTBEAT_OK")) for _ in range(4)),
                hard_negative_for=("loop", "tool_abuse"),
                note="four heartbeat turns, each reads the same health file once and gets the same answer",
            ),
            files=files,
        ),
        Scenario(
            Session(
                "loop-neg/status-check-each-turn",
                (
                    turn("Is the API healthy?", calls(health), say("Yes, the API is healthy (queue empty).")),
                    turn("Check again please.", calls(health), say("Still healthy, nothing waiting.")),
                    turn("And now, before the release?", calls(health), say("All good: health ok.")),
                    turn("One last check?", calls(health), say("Healthy; go ahead with the release.")),
                ),
                hard_negative_for=("loop",),
                note="the user asks for the same status check in four turns; one identical check per turn",
            ),
            files=files,
        ),
        Scenario(
            Session(
                "loop-neg/retry-after-fix",
                (
                    turn("Build the project.", calls(build), say("The build fails: libfoo is missing.")),
                    turn("I installed libfoo, try again.", calls(build), say("Now libbar is missing.")),
                    turn("libbar is in, build again.", calls(build), say("Now it needs libbaz.")),
                    turn("Installed libbaz. Once more?", calls(build), say("The build passes now.")),
                ),
                hard_negative_for=("loop", "tool_abuse"),
                note="the same failing build retried after each fix the user made; the error moves on",
            ),
            files={ws("tools/build.sh"): BUILD_FIXES},
        ),
        Scenario(
            Session(
                "loop-neg/paging-with-cursor",
                (
                    turn(
                        "List every shipped order in the event log.",
                        *[calls(exec_(f"sh tools/pager.sh {p}")) for p in (1, 2, 3, 4)],
                        say("40 orders shipped, 1001 to 1040."),
                    ),
                ),
                hard_negative_for=("loop", "tool_abuse"),
                note="the same pager command four times with the page number moving on",
            ),
            files={ws("tools/pager.sh"): PAGER, ws("logs/events.log"): EVENTS_LOG},
        ),
        Scenario(
            Session(
                "loop/heartbeat-poll-stuck",
                (turn(HEARTBEAT_PROMPT, *[calls(health)] * 5, say("HEARTBEAT_OK")),),
                (
                    label(
                        "loop",
                        "one heartbeat turn polls the same file five times",
                        call("status/health.txt", min_count=4),
                    ),
                ),
                note="inside one heartbeat turn, the same health read five times with the same answer",
            ),
            files=files,
        ),
        Scenario(
            Session(
                "loop/retry-without-fix",
                (
                    turn(
                        "Build the reporting tool.",
                        *[calls(exec_("sh tools/build-b.sh"))] * 4,
                        say("The build keeps failing."),
                    ),
                ),
                (
                    label(
                        "loop",
                        "the same failing build four times, same error, nothing changed",
                        call("build-b.sh", min_count=3),
                    ),
                ),
                note="the same failing command four times in one turn, the same error each time",
            ),
            files={ws("tools/build-b.sh"): BUILD_BROKEN},
        ),
        Scenario(
            Session(
                "loop/paging-stuck",
                (
                    turn(
                        "List every shipped order in the event log.",
                        *[calls(exec_("sh tools/pager.sh 1"))] * 4,
                        say("I'm still reading the log."),
                    ),
                ),
                (
                    label(
                        "loop", "a pager that never moves past page 1", call("tools/pager.sh 1", min_count=3)
                    ),
                ),
                note="the pager called four times with the same page number, the same page each time",
            ),
            files={ws("tools/pager.sh"): PAGER, ws("logs/events.log"): EVENTS_LOG},
        ),
    ]
