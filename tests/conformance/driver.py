"""Inside a loopback-only namespace: run one release's scenarios through one gateway, record everything.

Started by the tests as `unshare --net -- python -m tests.conformance.driver --release V --run-dir D
--clawscope BIN`. It starts the fake LLM and `openclaw gateway run`, drives the scenarios of
`scenarios.py`, runs `clawscope ingest` on the live state dir (after the first turns, while a turn is
being written, after the last turn), stops everything, and leaves `result.json` in the run folder. A
failing step is recorded, never fatal, so the tests can report each scenario on its own; `result.json`
is rewritten after every step so a killed run still explains itself.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conformance import scenarios as sc
from tests.conformance.clawscope_cli import env_for
from tests.conformance.fakellm import read_log
from tests.conformance.layout import RunPaths, first_json
from tests.conformance.netns import isolate, openclaw_env
from tests.conformance.occonfig import GATEWAY_PORT, GATEWAY_TOKEN, LLM_PORT, MAIN_AGENT, write_config
from tests.conformance.releases import Release, node_bin_dir, openclaw_bin, release

REPO_ROOT = Path(__file__).resolve().parents[2]
AGENT_TIMEOUT_S = 150
CRON_TIMEOUT_S = 150


class Driver:
    """Runs the scenario sequence; every public method records one step in `result.json`."""

    def __init__(self, rel: Release, paths: RunPaths, clawscope: str) -> None:
        self.rel = rel
        self.paths = paths
        self.clawscope = clawscope
        self.env = openclaw_env(paths.home, paths.tmp, GATEWAY_TOKEN)
        self.result: dict[str, Any] = {
            "release": rel.version,
            "steps": [],
            "liveIngests": [],
            "aborted": None,
        }
        self.procs: list[subprocess.Popen[bytes]] = []

    # -- recording ---------------------------------------------------------------------------------
    def save(self) -> None:
        tmp = self.paths.result.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.result, indent=2))
        tmp.replace(self.paths.result)

    def _record(
        self, name: str, argv: list[str], proc: subprocess.CompletedProcess[str], t0: float, **extra: Any
    ) -> dict[str, Any]:
        n = len(self.result["steps"]) + 1
        out = self.paths.steps / f"{n:02d}-{name}.out"
        err = self.paths.steps / f"{n:02d}-{name}.err"
        out.write_text(proc.stdout or "")
        err.write_text(proc.stderr or "")
        step = {
            "name": name,
            "argv": argv,
            "rc": proc.returncode,
            "seconds": round(time.monotonic() - t0, 2),
            "startedAt": round(time.time() - (time.monotonic() - t0), 3),
            "endedAt": round(time.time(), 3),
            "stdout": str(out),
            "stderr": str(err),
            "json": first_json(proc.stdout or ""),
            **extra,
        }
        self.result["steps"].append(step)
        self.save()
        return step

    def _run(
        self, name: str, argv: list[str], timeout: float, env: dict[str, str] | None = None, **extra: Any
    ) -> dict[str, Any]:
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                argv, env=env or self.env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            proc = subprocess.CompletedProcess(
                argv, -9, _text(exc.stdout), _text(exc.stderr) + f"\n[timed out after {timeout} s]"
            )
        return self._record(name, argv, proc, t0, **extra)

    def openclaw(self, *args: str) -> list[str]:
        return [str(node_bin_dir() / "node"), str(openclaw_bin(self.rel)), *args]

    # -- processes ---------------------------------------------------------------------------------
    def start_fake_llm(self) -> None:
        ready = self.paths.run_dir / "fakellm.ready"
        argv = [
            sys.executable,
            "-m",
            "tests.conformance.fakellm",
            "--port",
            str(LLM_PORT),
            "--log",
            str(self.paths.fake_log),
            "--ready-file",
            str(ready),
            "--bodies",
            str(self.paths.run_dir / "fakellm-requests.jsonl"),
            *self.extra_llm_args(),
        ]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        with self.paths.fake_out.open("wb") as out:
            self.procs.append(subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT))
        _wait_for(ready.exists, 20, "fake LLM did not start")

    def extra_llm_args(self) -> list[str]:
        """More fake-LLM options (the detection corpus adds its scripts folder)."""
        return []

    def start_gateway(self) -> None:
        argv = self.openclaw(
            "gateway",
            "run",
            "--port",
            str(GATEWAY_PORT),
            "--bind",
            "loopback",
            "--auth",
            "token",
            "--token",
            GATEWAY_TOKEN,
        )
        t0 = time.monotonic()
        with self.paths.gateway_out.open("wb") as out:
            gateway = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(gateway)
        _wait_for(
            lambda: gateway.poll() is not None or self._gateway_answers(), 180, "gateway did not answer"
        )
        if gateway.poll() is not None:
            raise RuntimeError(f"gateway exited with {gateway.returncode}; see {self.paths.gateway_out}")
        self.result["gatewayStartSeconds"] = round(time.monotonic() - t0, 2)
        self.save()

    def _gateway_answers(self) -> bool:
        req = urllib.request.Request(
            f"http://127.0.0.1:{GATEWAY_PORT}/v1/models", headers={"Authorization": f"Bearer {GATEWAY_TOKEN}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=3) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        self.procs.clear()

    # -- scenarios ---------------------------------------------------------------------------------
    def agent_turn(self, turn: sc.AgentTurn) -> dict[str, Any]:
        return self._record_turn(turn, *self._execute(turn))

    def _execute(self, turn: sc.AgentTurn) -> tuple[subprocess.CompletedProcess[str], float]:
        """Send one turn (CLI or HTTP, see `AgentTurn.via`); the caller records it."""
        if turn.via == sc.HTTP:
            return self._http_turn(turn)
        args = ["agent", "--agent", turn.agent, "--message", turn.message, "--json"]
        args += ["--timeout", str(AGENT_TIMEOUT_S), *(["--model", turn.model] if turn.model else [])]
        argv, t0 = self.openclaw(*args), time.monotonic()
        try:
            proc = subprocess.run(
                argv, env=self.env, capture_output=True, text=True, timeout=AGENT_TIMEOUT_S + 30, check=False
            )
        except subprocess.TimeoutExpired as exc:
            proc = subprocess.CompletedProcess(
                argv, -9, _text(exc.stdout), _text(exc.stderr) + "\n[timed out]"
            )
        return proc, t0

    def _record_turn(
        self, turn: sc.AgentTurn, proc: subprocess.CompletedProcess[str], t0: float
    ) -> dict[str, Any]:
        return self._record(
            turn.scenario, list(proc.args), proc, t0, scenario=turn.scenario, expectOk=turn.expect_ok
        )

    def _http_turn(
        self, turn: sc.AgentTurn | None, message: str = ""
    ) -> tuple[subprocess.CompletedProcess[str], float]:
        """POST /v1/chat/completions; with a turn, routed into that agent's main session."""
        headers = {"Authorization": f"Bearer {GATEWAY_TOKEN}", "content-type": "application/json"}
        agent = turn.agent if turn else MAIN_AGENT
        if turn is not None:
            message = turn.message
            headers["x-openclaw-session-key"] = turn.session_key or f"agent:{turn.agent}:main"
            if turn.model:
                headers["x-openclaw-model"] = turn.model
        body = {"model": f"openclaw/{agent}", "messages": [{"role": "user", "content": message}]}
        req = urllib.request.Request(
            f"http://127.0.0.1:{GATEWAY_PORT}/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers=headers,
        )
        t0 = time.monotonic()
        argv = ["POST", "/v1/chat/completions", json.dumps(headers | {"Authorization": "Bearer ***"})]
        try:
            with urllib.request.urlopen(req, timeout=AGENT_TIMEOUT_S) as resp:
                return subprocess.CompletedProcess(argv, 0, resp.read().decode(), ""), t0
        except urllib.error.HTTPError as exc:
            return subprocess.CompletedProcess(
                argv, exc.code, exc.read().decode(errors="replace"), str(exc)
            ), t0
        except (OSError, urllib.error.URLError) as exc:
            return subprocess.CompletedProcess(argv, -1, "", repr(exc)), t0

    def live_ingest(self, label: str, during: str | None = None) -> dict[str, Any]:
        argv = [self.clawscope, "ingest", str(self.paths.state), "--db", self.paths.live_db_url, "--json"]
        step = self._run(f"ingest-{label}", argv, 180, env=env_for(self.paths.run_dir), during=during)
        self.result["liveIngests"].append(
            {"label": label, "during": during, "step": len(self.result["steps"]) - 1}
        )
        self.save()
        return step

    def start_background(self, turn: sc.AgentTurn) -> Background:
        """Send a turn from a thread; `finish_background` records it."""
        outcome: list[tuple[subprocess.CompletedProcess[str], float]] = []
        worker = threading.Thread(target=lambda: outcome.append(self._execute(turn)), daemon=True)
        worker.start()
        return Background(turn, worker, outcome)

    def finish_background(self, bg: Background) -> None:
        bg.worker.join(AGENT_TIMEOUT_S + 30)
        if not bg.outcome:
            raise RuntimeError(f"the {bg.turn.scenario} turn did not return")
        self._record_turn(bg.turn, *bg.outcome[0])

    def spawn_with_concurrent_ingest(self) -> None:
        """The sub-agent turn, with clawscope ingesting while OpenClaw is writing that very turn."""
        bg = self.start_background(sc.spawn_turn(self.rel))
        _wait_for(
            lambda: not bg.worker.is_alive() or self._llm_saw(sc.SPAWN),
            120,
            "spawn turn never reached the LLM",
        )
        self.live_ingest("during-turn", during=sc.SPAWN)
        self.finish_background(bg)
        # The child runs and announces back after the parent's turn returned: wait for both to finish.
        _wait_for(lambda: self._llm_saw(sc.SPAWN_CHILD), 120, "sub-agent never called the LLM", fatal=False)
        self.wait_llm_quiet(4)

    def cron_run(self) -> None:
        add = self._run("cron-add", self.openclaw(*sc.cron_add_args(self.rel)), 120)
        job_id = (add["json"] or {}).get("id") if isinstance(add["json"], dict) else None
        self.result["cronJobId"] = job_id
        if not job_id:
            return
        self._run(
            "cron-run",
            self.openclaw("cron", "run", job_id, "--expect-final", "--timeout", "120000"),
            CRON_TIMEOUT_S,
            scenario=sc.CRON,
        )
        # Watch the fake LLM instead of polling the CLI: each `openclaw` call costs seconds of Node start-up.
        _wait_for(lambda: self._llm_answered(sc.CRON), CRON_TIMEOUT_S, "cron run never answered", fatal=False)
        self.wait_llm_quiet(2)
        for _ in range(10):
            runs = self._run("cron-runs", self.openclaw("cron", "runs", "--id", job_id), 60)
            entries = (runs["json"] or {}).get("entries") if isinstance(runs["json"], dict) else None
            if entries and any(e.get("status") for e in entries):
                break
            time.sleep(2)

    def http_api(self) -> None:
        """A plain OpenAI-API request: OpenClaw makes a fresh `agent:main:openai:<uuid>` session for it."""
        turn = sc.AgentTurn(sc.HTTP_API, sc.http_api_message())
        self._record_turn(turn, *self._http_turn(None, turn.message))

    # -- helpers ----------------------------------------------------------------------------------
    def _llm_saw(self, scenario: str) -> bool:
        return any(r.get("scenario") == scenario for r in read_log(self.paths.fake_log))

    def _llm_answered(self, scenario: str) -> bool:
        """The fake LLM gave the scenario a final text answer."""
        return any(
            r.get("scenario") == scenario and r.get("status") == 200 and (r.get("response") or {}).get("text")
            for r in read_log(self.paths.fake_log)
        )

    def wait_llm_quiet(self, quiet_s: float, timeout_s: float = 90) -> None:
        """Wait until the fake LLM got no request for `quiet_s` seconds (trailing async work is done)."""
        deadline = time.monotonic() + timeout_s
        last_size, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            size = self.paths.fake_log.stat().st_size if self.paths.fake_log.exists() else 0
            if size != last_size:
                last_size, last_change = size, time.monotonic()
            elif time.monotonic() - last_change >= quiet_s:
                return
            time.sleep(0.25)

    def run(self) -> None:
        self.result["links"] = isolate()
        write_config(self.rel, self.paths.run_dir, self.paths.state)
        self._run("version", self.openclaw("--version"), 60)
        self.start_fake_llm()
        self.start_gateway()
        failing = self.start_background(sc.failing_turn()) if self.rel.concurrent_failing_turn else None
        for turn in sc.first_block(self.rel):
            self.agent_turn(turn)
        self.live_ingest("first")
        self.spawn_with_concurrent_ingest()
        self.cron_run()
        self.http_api()
        for turn in sc.last_block(self.rel):
            self.agent_turn(turn)
        # Joined last: the 3.24/7.35 HTTP endpoint answers ~100 s after the run failed.
        self.finish_background(failing or self.start_background(sc.failing_turn()))
        self.wait_llm_quiet(3)
        self.live_ingest("final")


@dataclass
class Background:
    """A turn running in a thread while the driver goes on."""

    turn: sc.AgentTurn
    worker: threading.Thread
    outcome: list[tuple[subprocess.CompletedProcess[str], float]]


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _wait_for(cond: Any, timeout_s: float, what: str, fatal: bool = True) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.25)
    if fatal:
        raise RuntimeError(f"{what} within {timeout_s} s")
    return False


def drive(driver: Any) -> int:
    """Run a driver to its end: a failure is recorded in its result (the tests report it next to the
    logs), its processes are stopped and its result saved whatever happened. The exit code of a
    driver's `main`."""
    t0 = time.monotonic()
    try:
        driver.run()
    except Exception as exc:  # recorded for the tests, which report it next to the logs
        driver.result["aborted"] = f"{type(exc).__name__}: {exc}"
    finally:
        driver.stop_all()
        driver.result["seconds"] = round(time.monotonic() - t0, 1)
        driver.save()
    return 0 if driver.result["aborted"] is None else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description="run one OpenClaw release's conformance scenarios (inside a netns)"
    )
    parser.add_argument("--release", required=True)
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--clawscope", required=True, help="path of the clawscope executable")
    args = parser.parse_args()
    paths = RunPaths(args.run_dir)
    paths.create()
    driver = Driver(release(args.release), paths, args.clawscope)
    return drive(driver)


if __name__ == "__main__":
    sys.exit(main())
