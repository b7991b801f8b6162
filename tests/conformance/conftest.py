"""Fixtures of the conformance tier, and OpenClaw's logs next to every failure.

`oc_run` is parametrized over the pinned releases and session-scoped: the first test that needs any run
starts all of them (concurrently, each in its own network namespace) and every later test reads the
finished run. Missing installs or an impossible network namespace skip locally and FAIL under CI=true
(`require`), so CI can never silently lose the tier. When a test fails, the report carries the run's
step summary, gateway output, OpenClaw file log and fake-LLM log (once per release; later failures of
the same release point back to it).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import clawscope_cli as cs
from tests.conformance import netns
from tests.conformance.releases import RELEASES, installed
from tests.conformance.runs import ReleaseRun, RunSet
from tests.support.env import ROOT, require

ARTIFACTS = ROOT / "artifacts" / "conformance"
_RUN_SETS: list[RunSet] = []  # for the end-of-session summary of retried runs

TAIL_LINES = 120
LINE_CUT = 400


@pytest.fixture(scope="session")
def oc_runs() -> Iterator[RunSet]:
    missing = [r.version for r in RELEASES if not installed(r)]
    require(
        not missing, f"OpenClaw {missing} / Node 24 not installed: run `scripts/setup-test-deps conformance`"
    )
    why = netns.probe()
    require(why is None, f"no loopback-only network namespace, and OpenClaw never runs un-isolated: {why}")
    # Runs live in the repository's ignored artifacts folder, not pytest's tmp (other pytest sessions on
    # the machine prune that), so the last run's state dirs and logs stay for inspection and CI upload.
    base = ARTIFACTS
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    runs = RunSet(base, RELEASES, cs.executable())
    _RUN_SETS.append(runs)
    yield runs
    keep = os.environ.get("CLAWSCOPE_CONFORMANCE_OUT")
    runs.close(Path(keep) if keep else None)


@pytest.fixture(scope="session", params=[r.version for r in RELEASES])
def oc_run(request: pytest.FixtureRequest, oc_runs: RunSet) -> ReleaseRun:
    return oc_runs.get(request.param)


# -- OpenClaw's logs next to a failure ----------------------------------------------------------------
def _tail(path: Path, lines: int = TAIL_LINES) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(line[:LINE_CUT] for line in text) + f"\n(full file: {path})"


def _log_line(line: str) -> str:
    """One line of OpenClaw's JSON file log (tslog) as `time level [subsystem] message`."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return line
    if not isinstance(rec, dict):
        return line
    meta = rec.get("_meta") or {}
    parts = [v if isinstance(v, str) else json.dumps(v) for k, v in sorted(rec.items()) if k != "_meta"]
    return f"{meta.get('date', '?')} {meta.get('logLevelName', '?')} {' '.join(parts)}"


def _openclaw_log(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(_log_line(line)[:LINE_CUT] for line in text) + f"\n(full file: {path})"


def _faults(run: ReleaseRun) -> str:
    """Known OpenClaw-internal faults of this run and of retried attempts: not to be blamed on clawscope."""
    out = "".join(f"earlier attempt hit an OpenClaw-internal fault: {f}\n" for f in run.faulty_attempts)
    fault = run.openclaw_fault()
    return out + (
        f"OpenClaw-internal fault in this run (not caused by clawscope): {fault}\n" if fault else ""
    )


def _steps_summary(run: ReleaseRun) -> str:
    if not run.paths.result.exists():
        return _tail(run.paths.run_dir / "driver.out")
    result = json.loads(run.paths.result.read_text())
    out = [
        _faults(run)
        + f"release {result['release']}: aborted={result.get('aborted')} seconds={result.get('seconds')}"
    ]
    for s in result["steps"]:
        err = (
            Path(s["stderr"]).read_text(errors="replace").strip().splitlines()
            if Path(s["stderr"]).exists()
            else []
        )
        out.append(f"  {s['name']:<20} rc={s['rc']:<4} {s['seconds']:>7}s  {(err or [''])[-1][:200]}")
    return "\n".join(out)


def _fake_llm_summary(run: ReleaseRun) -> str:
    lines = []
    for rec in run.records[-60:]:
        resp: dict[str, Any] = rec.get("response") or {}
        calls = [c["name"] for c in resp.get("toolCalls", [])]
        lines.append(
            f"  #{rec.get('seq')} {rec.get('status')} model={rec.get('model')} "
            f"scenario={rec.get('scenario')} calls={calls} usage={rec.get('usage')} "
            f"text={(resp.get('text') or '')[:80]!r}"
        )
    return "\n".join(lines) + f"\n(full log: {run.paths.fake_log})"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    run = getattr(item, "funcargs", {}).get("oc_run")
    if report.when != "call" or not report.failed or not isinstance(run, ReleaseRun):
        return
    name = f"OpenClaw {run.rel.version}"
    if run.logs_shown:
        report.sections.append(
            (f"{name} logs", f"shown with the first failure of this release; run folder {run.paths.run_dir}")
        )
        return
    run.logs_shown = True
    report.sections.append((f"{name} driver steps", _steps_summary(run)))
    report.sections.append((f"{name} gateway output (tail)", _tail(run.paths.gateway_out)))
    report.sections.append((f"{name} OpenClaw file log (tail)", _openclaw_log(run.paths.openclaw_log)))
    report.sections.append((f"{name} fake LLM log", _fake_llm_summary(run)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say so when a release run had to be repeated after an OpenClaw-internal fault."""
    for runs in _RUN_SETS:
        for run in runs.runs.values():
            for fault in run.faulty_attempts:
                terminalreporter.write_line(f"conformance: OpenClaw {run.rel.version} was run again: {fault}")
