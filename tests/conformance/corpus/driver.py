"""Inside a loopback-only namespace: record the corpus scenarios with one OpenClaw release.

Started as `unshare --net -- python -m tests.conformance.corpus.driver --release V --run-dir D
[--only NAME,...] [--live] [--jobs N] [--set tuning|heldout]`. It writes the corpus set-up
(openclaw.json, workspaces, persona and scenario files), every scenario's scripts for the fake LLM
and the fake web's pages, starts the fake LLM, the fake web and `openclaw gateway run`, and sends
each root session's turns through the gateway's OpenAI-compatible endpoint into the scenario's own
session key (`x-openclaw-session-key`). After each turn it waits until the model has been quiet for
the scenario (its sub-agents and their announces included). Scenarios run a few at a time
(`--jobs`); each is independent of the others. `result.json` records every turn; a failing step is
recorded, never fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.conformance import scenarios as sc
from tests.conformance.corpus import config
from tests.conformance.corpus.catalog import scenarios_for
from tests.conformance.corpus.spec import Scenario
from tests.conformance.driver import REPO_ROOT, Driver, _wait_for, drive
from tests.conformance.fakellm import read_log
from tests.conformance.layout import RunPaths
from tests.conformance.netns import isolate
from tests.conformance.releases import Release, release
from tests.conformance.scripted import write_script

QUIET_S = 2.5  # the model got no request of the scenario for this long: its turn (and announces) ended
CHILD_QUIET_S = 6.0
SETTLE_TIMEOUT_S = 240


class CorpusDriver(Driver):
    def __init__(self, rel: Release, paths: RunPaths, chosen: list[Scenario], jobs: int) -> None:
        super().__init__(rel, paths, clawscope="")
        self.chosen = chosen
        self.jobs = jobs
        self.result["scenarios"] = {}
        self._lock = threading.RLock()
        proxy = f"http://127.0.0.1:{config.WEB_PORT}"
        for var in ("http_proxy", "HTTP_PROXY"):
            self.env[var] = proxy
        for var in ("no_proxy", "NO_PROXY"):
            self.env[var] = "127.0.0.1,localhost"
        # the run folder may sit inside a git checkout: git in an exec must not see it
        self.env["GIT_CEILING_DIRECTORIES"] = str(paths.run_dir)

    @property
    def scripts_dir(self) -> Path:
        return self.paths.run_dir / "scripts"

    @property
    def web_log(self) -> Path:
        return self.paths.run_dir / "fakeweb.jsonl"

    def extra_llm_args(self) -> list[str]:
        return ["--scripts", str(self.scripts_dir), "--window", f"{config.MODEL_SMALL}={config.SMALL_WINDOW}"]

    def save(self) -> None:
        with self._lock:
            super().save()

    def _record(
        self, name: str, argv: list[str], proc: subprocess.CompletedProcess[str], t0: float, **extra: Any
    ) -> dict[str, Any]:
        with self._lock:  # scenarios run in threads; steps are numbered and saved one at a time
            return super()._record(name, argv, proc, t0, **extra)

    def prepare(self) -> None:
        files: dict[str, str] = {}
        pages: dict[str, dict[str, Any]] = {}
        for scenario in self.chosen:
            files.update(scenario.files)
            pages.update(scenario.pages)
            for tag, steps in scenario.scripts().items():
                write_script(self.scripts_dir, tag, steps)
        config.write_setup(self.rel, self.paths.run_dir, self.paths.home, files)
        (self.paths.run_dir / "pages.json").write_text(json.dumps(pages, indent=1))

    def start_fake_web(self) -> None:
        ready = self.paths.run_dir / "fakeweb.ready"
        argv = [sys.executable, "-m", "tests.conformance.fakeweb", "--port", str(config.WEB_PORT)]
        argv += ["--pages", str(self.paths.run_dir / "pages.json"), "--log", str(self.web_log)]
        argv += ["--ready-file", str(ready)]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        with (self.paths.logs / "fakeweb.out").open("wb") as out:
            self.procs.append(subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT))
        _wait_for(ready.exists, 20, "fake web did not start")

    # -- scenarios ---------------------------------------------------------------------------------
    def record_scenario(self, scenario: Scenario) -> None:
        root = scenario.root
        tags = {s.turn_tag(i) for s in scenario.sessions for i in range(len(s.turns))}
        entry: dict[str, Any] = {"turns": [], "started": time.time()}
        with self._lock:
            self.result["scenarios"][root.name] = entry
        for index, t in enumerate(root.turns):
            message = f"{t.prompt} [[script:{root.turn_tag(index)}]]"
            turn = sc.AgentTurn(
                root.name.replace("/", "."),
                message,
                agent=root.agent,
                expect_ok=None,
                session_key=root.session_key(),
            )
            step = self.agent_turn(turn)
            with self._lock:
                entry["turns"].append({"rc": step["rc"], "seconds": step["seconds"]})
            quiet = CHILD_QUIET_S if scenario.children else QUIET_S
            self.settle(tags, max(quiet, t.settle_s))
        missing = [c.name for c in scenario.children if not self._seen(c.tag)]
        entry["missingChildren"] = missing
        entry["seconds"] = round(time.time() - entry["started"], 1)
        self.save()

    def _records(self, tags: set[str]) -> list[dict[str, Any]]:
        return [r for r in read_log(self.paths.fake_log) if r.get("script") in tags]

    def _seen(self, tag: str) -> bool:
        return bool(self._records({tag}))

    def settle(self, tags: set[str], quiet_s: float) -> None:
        """Wait until the model got no request of these scripts for `quiet_s` seconds."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        last_n, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = len(self._records(tags))
            if n != last_n:
                last_n, last_change = n, time.monotonic()
            elif time.monotonic() - last_change >= quiet_s:
                return
            time.sleep(0.5)

    def run(self) -> None:
        self.result["links"] = isolate()
        self.prepare()
        self._run("version", self.openclaw("--version"), 60)
        self.start_fake_web()
        self.start_fake_llm()
        self.start_gateway()
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for future in [pool.submit(self.record_scenario, s) for s in self.chosen]:
                future.result()
        self.wait_llm_quiet(5)


def main() -> int:
    parser = argparse.ArgumentParser(description="record the detection corpus with one OpenClaw release")
    parser.add_argument("--release", required=True)
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--only", default="", help="comma-separated scenario (root session) names")
    parser.add_argument("--live", action="store_true", help="only the CI live subset")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", dest="corpus_set", default="tuning", help="tuning or heldout")
    args = parser.parse_args()
    rel = release(args.release)
    chosen = scenarios_for(rel.era, live_only=args.live, corpus_set=args.corpus_set)
    if args.only:
        wanted = set(args.only.split(","))
        chosen = [s for s in chosen if s.root.name in wanted]
    paths = RunPaths(args.run_dir)
    paths.create()
    driver = CorpusDriver(rel, paths, chosen, args.jobs)
    return drive(driver)


if __name__ == "__main__":
    sys.exit(main())
