"""Inside a loopback-only namespace: a long-running OpenClaw turn stopped by a clawscope alert rule.

Started by `test_abort_action.py` as `unshare --net -- python -m tests.conformance.abort_driver --release V
--run-dir D --clawscope BIN`. It starts the fake LLM (with a script: one tool call, then a reply the
fake LLM holds back for `HOLD_S` seconds, so the turn keeps running) and `openclaw gateway run`, sends the
turn through the gateway in the background, and, while it runs, has clawscope ingest the state dir and
run `clawscope alerts check` with a rule (a session over 1 token, `abort_session` on) until it fires and
its action calls the gateway's `chat.abort`. Then it waits for the turn to return and records
`chat.history` and clawscope's alert history in `result.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from tests.conformance import scenarios as sc
from tests.conformance.clawscope_cli import env_for
from tests.conformance.driver import AGENT_TIMEOUT_S, Driver, _wait_for, drive
from tests.conformance.fakellm import read_log
from tests.conformance.layout import RunPaths
from tests.conformance.netns import isolate
from tests.conformance.occonfig import MAIN_AGENT, write_config
from tests.conformance.releases import release
from tests.conformance.scripted import Step, write_script

SCRIPT = "abort-me"
HOLD_S = 900.0  # the second model call answers only after this: the turn runs until aborted
RULE = {
    "id": "stop-runaway", "name": "runaway session", "measure": "session_tokens", "threshold": 1,
    "window": "1h", "severity": "critical", "abort_session": True,
}  # fmt: skip


class AbortDriver(Driver):
    def openclaw(self, *args: str) -> list[str]:
        # at a higher CPU priority: on a starved machine 2026.9.6's gateway gives up starting when its
        # state-lease heartbeat is not ready within a fixed 5 s (the driver runs as root in the namespace)
        base = super().openclaw(*args)
        return ["nice", "-n", "-10", *base] if os.geteuid() == 0 else base

    @property
    def scripts_dir(self) -> Path:
        return self.paths.run_dir / "scripts"

    def extra_llm_args(self) -> list[str]:
        return ["--scripts", str(self.scripts_dir)]

    def clawscope_env(self) -> dict[str, str]:
        return env_for(self.paths.run_dir) | {"OPENCLAW_STATE_DIR": str(self.paths.state)}

    def clawscope_cli(self, name: str, *args: str) -> dict[str, Any]:
        argv = [self.clawscope, *args, "--db", self.paths.live_db_url]
        return self._run(name, argv, 180, env=self.clawscope_env())

    def run(self) -> None:
        self.result["links"] = isolate()
        write_config(self.rel, self.paths.run_dir, self.paths.state)
        write_script(
            self.scripts_dir,
            SCRIPT,
            [Step(calls=[("exec", {"command": "echo working"})]), Step(say="finished", delay_s=HOLD_S)],
        )
        rule = self.paths.run_dir / "rule.json"
        rule.write_text(json.dumps(RULE))
        self.start_fake_llm()
        self.start_gateway()
        self.clawscope_cli("alerts-add", "alerts", "add", "--rule", str(rule), "--json")
        turn = sc.AgentTurn(
            scenario=SCRIPT,
            agent=MAIN_AGENT,
            message=f"Work on this until done. [[script:{SCRIPT}]]",
            via=sc.CLI,
        )
        started = time.monotonic()
        bg = self.start_background(turn)
        # the first model call (the tool call) answered: the turn now waits on the held-back second one
        _wait_for(
            lambda: any(r.get("script") == SCRIPT for r in read_log(self.paths.fake_log)),
            400,  # OpenClaw's first turn starts slowly on a loaded machine
            "the scripted turn never reached the fake LLM",
        )
        fired = False
        for _ in range(20):
            self.clawscope_cli("ingest", "ingest", str(self.paths.state), "--json")
            step = self.clawscope_cli("alerts-check", "alerts", "check", "--json")
            fired = fired or bool((step["json"] or {}).get("fired"))
            if fired and not bg.worker.is_alive():  # the action stopped the turn
                break
            time.sleep(1)
        self.result["fired"] = fired
        bg.worker.join(AGENT_TIMEOUT_S + 30)
        self.result["turnSeconds"] = round(time.monotonic() - started, 1)
        self.result["turnReturned"] = bool(bg.outcome)
        if bg.outcome:
            self._record_turn(turn, *bg.outcome[0])
        self.save()
        self.clawscope_cli("alerts-history", "alerts", "history", "--json")
        params = json.dumps({"sessionKey": f"agent:{MAIN_AGENT}:main"})
        self._run(
            "chat-history",
            self.openclaw("gateway", "call", "chat.history", "--params", params, "--json"),
            120,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="an OpenClaw turn aborted by a clawscope rule (in a netns)")
    parser.add_argument("--release", required=True)
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--clawscope", required=True)
    args = parser.parse_args()
    paths = RunPaths(args.run_dir)
    paths.create()
    driver = AbortDriver(release(args.release), paths, args.clawscope)
    return drive(driver)


if __name__ == "__main__":
    sys.exit(main())
