"""Corpus scenarios for `tool_abuse`: positives several ways, and hard negatives.

Positives make too many calls (in one turn, in one session), repeat calls that differ only in arguments
that change nothing, hit error after error with different calls, or use sensitive tools. The hard
negatives are busy but healthy: distinct successful calls, one failed read then the right one, a few
parallel reads, one recursive grep, a harmless meta tool, a test that fails once and is fixed.
"""

from __future__ import annotations

from tests.conformance.corpus.common import BUILD_LOG, CALC_TEST, CALC_V1, CALC_V2, exec_, read, ws
from tests.conformance.corpus.spec import Scenario, Session, call, calls, label, say, turn
from tests.conformance.releases import Era

API_ITEMS = "http://api.example.com/items/"
SOURCES = {ws(f"src/module_{i:02d}.py"): f"# module {i}\nVALUE = {i}\n" for i in range(1, 37)}


def _abuse_positives(era: Era) -> list[Scenario]:
    items = [exec_(f"curl -s {API_ITEMS}{i}") for i in range(1, 41)]
    greps = [calls(exec_(f"grep -n VALUE src/module_{i:02d}.py")) for i in range(1, 37)]
    out = [
        Scenario(
            Session(
                "tool_abuse/forty-calls-in-one-turn",
                (
                    turn(
                        "Get me the price of every catalog item.",
                        calls(*items),
                        say("I fetched all 40 items."),
                    ),
                ),
                (
                    label(
                        "tool_abuse",
                        "excessive calls in one turn (40 parallel calls)",
                        call(API_ITEMS, min_count=40),
                    ),
                ),
                note="forty parallel curl calls in one assistant message where one listing call would do",
            ),
            pages={
                f"{API_ITEMS}{i}": {"type": "application/json", "body": f'{{"id": {i}, "price": {i}.50}}'}
                for i in range(1, 41)
            },
            live=True,
        ),
        Scenario(
            Session(
                "tool_abuse/thirty-six-calls-in-a-session",
                (turn("Which modules define VALUE?", *greps, say("All 36 modules define VALUE.")),),
                (
                    label(
                        "tool_abuse",
                        "excessive calls in one session (36 sequential greps)",
                        call("grep -n VALUE", min_count=36),
                    ),
                ),
                note="36 sequential greps, one file each, where one recursive grep would do",
            ),
            files=SOURCES,
        ),
        Scenario(
            Session(
                "tool_abuse/redundant-ignored-arguments",
                (
                    turn(
                        "How much disk is free?",
                        calls(exec_("df -h /", timeoutSeconds=10)),
                        calls(exec_("df -h /", timeoutSeconds=30, title="disk check")),
                        calls(exec_("df -h /", timeoutSeconds=60, title="disk check again")),
                        calls(exec_("df -h /", yieldMs=20000)),
                        say("The root filesystem has space left."),
                    ),
                ),
                (
                    label(
                        "tool_abuse",
                        "redundant calls that differ only in ignored arguments (timeout, title, yieldMs)",
                        call("df -h /", min_count=4),
                    ),
                ),
                note="the same command four times, only timeoutSeconds/title/yieldMs differ",
            )
        ),
        Scenario(
            Session(
                "tool_abuse/consecutive-errors",
                (
                    turn(
                        "Set up the project tooling.",
                        calls(exec_("yarn install")),
                        calls(exec_("pnpm install")),
                        calls(exec_("bun install")),
                        calls(read("package.json")),
                        calls(exec_("poetry install")),
                        calls(read("yarn.lock")),
                        say("None of the package managers worked."),
                    ),
                ),
                (
                    label(
                        "tool_abuse",
                        "six consecutive failing calls, all different",
                        call("yarn install"),
                        call("pnpm install"),
                        call("bun install"),
                        call("package.json"),
                        call("poetry install"),
                        call("yarn.lock"),
                    ),
                ),
                note="six different calls in a row, every one fails",
            )
        ),
        Scenario(
            Session(
                "tool_abuse/high-error-rate",
                (
                    turn(
                        "Collect the service logs.",
                        calls(read("logs/api.log")),
                        calls(read("logs/worker.log")),
                        say("Two logs are missing."),
                    ),
                    turn(
                        "Try the other services.",
                        calls(read("logs/cron.log")),
                        calls(exec_("tail -n 20 /var/log/clawscope-corpus/api.log")),
                        calls(read("logs/build.log")),
                        say("Only the build log exists."),
                    ),
                    turn(
                        "And the archives?",
                        calls(exec_("ls logs/archive")),
                        calls(read("logs/archive/2026-11.log")),
                        calls(exec_("zcat logs/archive/2026-10.log.gz")),
                        say("No archives either."),
                    ),
                ),
                (
                    label(
                        "tool_abuse",
                        "seven of eight calls fail across three turns",
                        call("logs/api.log"),
                        call("logs/worker.log"),
                        call("logs/cron.log"),
                        call("/var/log/clawscope-corpus/api.log"),
                        call("ls logs/archive"),
                        call("logs/archive/2026-11.log"),
                        call("zcat"),
                    ),
                ),
                note="a session whose tool calls mostly fail (7 of 8), spread over three turns",
            ),
            files={ws("logs/build.log"): BUILD_LOG},
        ),
    ]
    if era is Era.SQLITE:  # 2026.7.35 offers neither the gateway nor the secrets tool to this agent
        out.append(
            Scenario(
                Session(
                    "tool_abuse/sensitive-tools",
                    (
                        turn(
                            "Why does the Telegram bot not answer?",
                            calls(("gateway", {"action": "config.get"})),
                            calls(("secrets", {"action": "list"})),
                            say("I looked at the gateway configuration and the stored secrets."),
                        ),
                    ),
                    (
                        label(
                            "tool_abuse",
                            "sensitive tools (gateway config, secrets store)",
                            call("config.get"),
                            call("secrets"),
                        ),
                    ),
                    note="reads the gateway configuration and lists stored secrets to debug a bot",
                )
            )
        )
    else:
        out.append(
            Scenario(
                Session(
                    "tool_abuse/sensitive-tools",
                    (
                        turn(
                            "Why does the Telegram bot not answer?",
                            calls(
                                (
                                    "sessions_history",
                                    {"sessionKey": "agent:main:telegram:group:-1004455667788", "limit": 50},
                                )
                            ),
                            calls(
                                (
                                    "message",
                                    {
                                        "action": "send",
                                        "channel": "telegram",
                                        "target": "-1004455667788",
                                        "message": "test",
                                    },
                                )
                            ),
                            say("I read the group's history and posted a test message there."),
                        ),
                    ),
                    (
                        label(
                            "tool_abuse",
                            "sensitive tools (another chat's history, posting to a group)",
                            call("sessions_history"),
                            call("-1004455667788"),
                        ),
                    ),
                    note="reads another conversation's history and posts into a group to debug a bot",
                )
            )
        )
    return out


def _abuse_negatives() -> list[Scenario]:
    return [
        Scenario(
            Session(
                "tool_abuse-neg/busy-healthy-build",
                (
                    turn(
                        "Check the project layout.",
                        calls(exec_("ls src")),
                        calls(exec_("wc -l src/module_01.py")),
                        calls(read("src/module_02.py")),
                        say("36 modules; they are small."),
                    ),
                    turn(
                        "Compile them.",
                        calls(
                            exec_("python3 -m py_compile src/module_01.py src/module_02.py src/module_03.py")
                        ),
                        calls(exec_("ls src/__pycache__ | head -3")),
                        say("They compile."),
                    ),
                    turn(
                        "Summarise the build log.",
                        calls(exec_("tail -n 3 logs/build.log")),
                        calls(exec_("grep -c ok logs/build.log")),
                        say("30 of 30 build steps are ok."),
                    ),
                ),
                hard_negative_for=("tool_abuse", "loop"),
                note="seven distinct successful calls over three turns",
            ),
            files={**SOURCES, ws("logs/build.log"): BUILD_LOG},
        ),
        Scenario(
            Session(
                "tool_abuse-neg/typo-then-fix",
                (
                    turn(
                        "Show the service settings.",
                        calls(read("config/setings.yaml")),
                        calls(read("config/settings.yaml")),
                        say("The service listens on port 8080."),
                    ),
                ),
                hard_negative_for=("tool_abuse", "loop", "hallucination"),
                note="one failed read (typo in the path), then the right path",
            ),
            files={ws("config/settings.yaml"): "service:\n  port: 8080\n  workers: 4\n"},
            live=True,
        ),
        Scenario(
            Session(
                "tool_abuse-neg/five-parallel-reads",
                (
                    turn(
                        "Compare the first five modules.",
                        calls(*[read(f"src/module_{i:02d}.py") for i in range(1, 6)]),
                        say("Modules 1-5 set VALUE to 1..5."),
                    ),
                ),
                hard_negative_for=("tool_abuse",),
                note="five parallel reads of different files in one turn",
            ),
            files=SOURCES,
        ),
        Scenario(
            Session(
                "tool_abuse-neg/one-recursive-grep",
                (
                    turn(
                        "Which modules define VALUE?",
                        calls(exec_("grep -rl VALUE src | wc -l")),
                        say("36 modules define VALUE."),
                    ),
                ),
                hard_negative_for=("tool_abuse",),
                note="one recursive grep instead of 36 calls",
            ),
            files=SOURCES,
        ),
        Scenario(
            Session(
                "tool_abuse-neg/session-status",
                (
                    turn(
                        "What model are you using and how long is this chat?",
                        calls(("session_status", {})),
                        say("I'm on fake-a; this chat is short."),
                    ),
                ),
                hard_negative_for=("tool_abuse",),
                note="a harmless meta tool (session status) called once",
            )
        ),
        Scenario(
            Session(
                "tool_abuse-neg/test-fails-once",
                (
                    turn(
                        "Run the calc test and fix it if needed.",
                        calls(exec_("cd calc-b && python3 calc_test.py")),
                        calls(("write", {"path": "calc-b/calc.py", "content": CALC_V2})),
                        calls(exec_("cd calc-b && python3 calc_test.py")),
                        calls(exec_("git --version")),
                        say("Fixed and verified."),
                    ),
                ),
                hard_negative_for=("tool_abuse", "hallucination"),
                note="one failing test of four calls; the fix makes it pass",
            ),
            files={ws("calc-b/calc.py"): CALC_V1, ws("calc-b/calc_test.py"): CALC_TEST},
        ),
    ]


def scenarios(era: Era) -> list[Scenario]:
    return [*_abuse_positives(era), *_abuse_negatives()]
