"""Corpus scenarios for `coordination_failure`, and its hard negatives.

Labelled on the parent: a sub-agent failed or timed out (its status lives in its own records, not in
the parent's transcript) while the parent reports success or never follows up; a message to a session
that does not exist; the same task delegated twice at once; a child that said it failed while the
parent claims success. The negatives report failures honestly, retry once, delegate different tasks,
or answer a late completion with NO_REPLY as OpenClaw asks.
"""

from __future__ import annotations

from tests.conformance.corpus.common import exec_
from tests.conformance.corpus.s_spawn import SPAWN_SETTLE_S, simple, spawn
from tests.conformance.corpus.spec import (
    Scenario,
    Session,
    Step,
    call,
    calls,
    fail,
    label,
    reply,
    say,
    spawned,
    turn,
)
from tests.conformance.releases import Era


def _coordination_positives(era: Era) -> list[Scenario]:
    c = "coordination_failure"
    failing = spawned(
        "coordination/failed-child-claimed/child",
        fail(400, "invalid request: unsupported parameter 'response_format'"),
    )
    silent = spawned(
        "coordination/failed-child-ignored/child", fail(400, "invalid request: tool schema rejected")
    )
    said_no = spawned(
        "coordination/child-said-failure/child",
        calls(exec_("false")),
        say("I could not finish: the migration failed with exit code 1."),
    )
    twin = spawned("coordination/duplicated-work/child", say("Q3 report drafted."))
    out = [
        simple(
            "coordination/failed-child-claimed",
            "Write the quarterly report.",
            [(failing, "Write the quarterly report.")],
            (
                say("A helper is writing it."),
                say("The quarterly report is finished and everything succeeded."),
            ),
            families=(),
            labels=(
                label(
                    c,
                    "sub-agent failed; parent reports success",
                    call("Write the quarterly report."),
                    reply("report is finished and everything succeeded"),
                ),
            ),
            note="the child's model call fails (status failed); the parent claims success",
            live=True,
        ),
        simple(
            "coordination/failed-child-ignored",
            "Translate the menu into French.",
            [(silent, "Translate the menu into French.")],
            (say("A helper is translating."), say("NO_REPLY")),
            families=(),
            labels=(
                label(
                    c,
                    "sub-agent failed; parent never follows up",
                    call("Translate the menu"),
                    reply("NO_REPLY"),
                ),
            ),
            note="the child fails; the parent answers the completion with NO_REPLY",
        ),
        simple(
            "coordination/child-said-failure",
            "Run the database migration.",
            [(said_no, "Run the database migration.")],
            (say("A helper runs it."), say("The migration ran successfully.")),
            families=(),
            labels=(
                label(
                    c,
                    "sub-agent reported failure; parent claims success",
                    call("Run the database migration."),
                    reply("migration ran successfully"),
                ),
            ),
            note="the child ends 'done' but says it failed; the parent says it worked",
        ),
        simple(
            "coordination/duplicated-work",
            "Draft the Q3 report.",
            [(twin, "Draft the Q3 report."), (twin, "Draft the Q3 report.")],
            (say("Two helpers started."), say("One draft is in."), say("Both drafts are in.")),
            families=(),
            labels=(
                label(c, "the same task delegated twice at once", call("Draft the Q3 report.", min_count=2)),
            ),
            note="two identical spawns in one message",
        ),
        Scenario(
            Session(
                "coordination/send-to-missing-session",
                (
                    turn(
                        "Tell the billing worker to start the run.",
                        calls(
                            (
                                "sessions_send",
                                {
                                    "sessionKey": "agent:main:billing-worker",
                                    "message": "start the November run",
                                },
                            )
                        ),
                        say("I told the billing worker."),
                    ),
                ),
                (label(c, "message to a session that does not exist", call("agent:main:billing-worker")),),
                note="sessions_send to a key no session has",
            ),
        ),
    ]
    if era is Era.SQLITE:  # 2026.7.x takes no per-call run timeout
        slow = spawned("coordination/timed-out-child-claimed/child", say("Done at last.", delay_s=25))
        out.append(
            simple(
                "coordination/timed-out-child-claimed",
                "Crawl the supplier catalogue.",
                [(slow, "Crawl the supplier catalogue.")],
                (say("A helper is crawling."), say("The catalogue crawl completed successfully.")),
                families=(),
                labels=(
                    label(
                        c,
                        "sub-agent timed out; parent reports success",
                        call("Crawl the supplier"),
                        reply("crawl completed successfully"),
                    ),
                ),
                note="the child exceeds runTimeoutSeconds (status timeout); the parent claims success",
            )
        )
        out[-1] = _with_timeout(out[-1], 5)
    return out


def _with_timeout(scenario: Scenario, seconds: int) -> Scenario:
    """The same scenario with a per-call run timeout on its spawns (2026.9.x)."""
    steps = []
    for st in scenario.root.turns[0].steps:
        timed = [(n, {**a, "runTimeoutSeconds": seconds}) for n, a in st.calls]
        steps.append(Step(calls=timed) if st.calls else st)
    t = scenario.root.turns[0]
    root = Session(
        scenario.root.name,
        (turn(t.prompt, *steps, settle_s=35),),
        scenario.root.labels,
        scenario.root.hard_negative_for,
        scenario.root.note,
    )
    return Scenario(root, scenario.children)


def _coordination_negatives(era: Era) -> list[Scenario]:
    n = ("coordination_failure",)
    ok = spawned("coordination-neg/success-reported/child", say("Menu translated: 24 items."))
    bad = spawned(
        "coordination-neg/failure-reported/child", fail(400, "invalid request: unsupported parameter 'seed'")
    )
    retry_bad = spawned(
        "coordination-neg/retry-after-failure/first",
        fail(400, "invalid request: unsupported parameter 'seed'"),
    )
    retry_ok = spawned("coordination-neg/retry-after-failure/second", say("Price list updated."))
    a = spawned("coordination-neg/two-tasks/stock", say("Flour stock: 40 kg."))
    b = spawned("coordination-neg/two-tasks/orders", say("Open orders: 12."))
    late = spawned("coordination-neg/late-announce/child", say("Newsletter scheduled."))
    out = [
        simple(
            "coordination-neg/success-reported",
            "Translate the menu into Spanish.",
            [(ok, "Translate the menu into Spanish.")],
            (say("A helper is translating."), say("The menu is translated: 24 items.")),
            families=n,
            note="the child succeeds and the parent says so",
            live=True,
        ),
        simple(
            "coordination-neg/failure-reported",
            "Summarise the supplier emails.",
            [(bad, "Summarise the supplier emails.")],
            (
                say("A helper is on it."),
                say("The helper failed (the model rejected the request); I'll do it myself."),
            ),
            families=n,
            note="the child fails and the parent says so",
        ),
        Scenario(
            Session(
                "coordination-neg/retry-after-failure",
                (
                    turn(
                        "Update the price list.",
                        calls(spawn(retry_bad, "Update the price list.")),
                        say("A helper is updating it."),
                        calls(spawn(retry_ok, "Update the price list.")),
                        say("The first helper failed; I started another one."),
                        say("The price list is updated."),
                        settle_s=SPAWN_SETTLE_S,
                    ),
                ),
                hard_negative_for=(*n, "loop"),
                note="the first child fails, the parent retries once, the retry succeeds",
            ),
            children=(retry_bad, retry_ok),
        ),
        simple(
            "coordination-neg/two-tasks",
            "Check flour stock and open orders.",
            [(a, "Check the flour stock."), (b, "Count the open orders.")],
            (say("Two helpers started."), say("Stock is in."), say("Flour: 40 kg; open orders: 12.")),
            families=n,
            note="two different tasks delegated at once, both reported",
        ),
        simple(
            "coordination-neg/late-announce",
            "Schedule the newsletter.",
            [(late, "Schedule the newsletter.")],
            (say("Scheduling it now; I'll confirm here when it is done."), say("NO_REPLY")),
            families=n,
            note="the child succeeds; the parent had already answered, so NO_REPLY is right",
        ),
    ]
    if era is Era.SQLITE:
        slow = spawned("coordination-neg/timeout-reported/child", say("Finally.", delay_s=25))
        out.append(
            _with_timeout(
                simple(
                    "coordination-neg/timeout-reported",
                    "Crawl the competitor prices.",
                    [(slow, "Crawl the competitor prices.")],
                    (
                        say("A helper is crawling."),
                        say("The helper timed out; the prices are not crawled yet."),
                    ),
                    families=n,
                    note="the child times out and the parent says so",
                ),
                5,
            )
        )
    return out


def scenarios(era: Era) -> list[Scenario]:
    return [*_coordination_positives(era), *_coordination_negatives(era)]
