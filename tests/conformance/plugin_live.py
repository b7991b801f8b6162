"""Inside a loopback-only network namespace: the clawscope plugin loaded into the real OpenClaw gateway.

Starts the fake LLM, a clawscope server (its own process, SQLite), installs
`integrations/openclaw-plugin` with `openclaw plugins install`, configures it, starts the gateway,
subscribes to clawscope's SSE stream and runs one agent turn whose model calls `exec`. Writes
`plugin-live.json` (steps, stream events, stored hook observations) for the test to check.

    unshare --net -- python -m tests.conformance.plugin_live OUT_DIR [VERSION]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conformance.netns import isolate, openclaw_env
from tests.conformance.occonfig import GATEWAY_PORT, GATEWAY_TOKEN, LLM_PORT, write_config
from tests.conformance.releases import node_bin_dir, openclaw_bin, release

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "integrations" / "openclaw-plugin"
CS_PORT = 18765
SECRET = "conformance-events-secret"
MESSAGE = 'Run this: [[tool:exec {"command": "echo plugin-live"}]]'


def _wait(cond: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(what)
        time.sleep(0.2)


def _answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=3) as r:
            return bool(r.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def main(out: Path, version: str) -> None:
    sys.path.insert(0, str(REPO / "src"))
    from clawscope.store import Store
    from tests.support.sse import SseReader

    isolate()
    rel = release(version)
    home, tmp = out / "home", out / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    cfg_path = write_config(rel, out, home / ".openclaw")
    env = openclaw_env(home, tmp, GATEWAY_TOKEN)
    oc = [str(node_bin_dir() / "node"), str(openclaw_bin(rel))]
    result: dict[str, Any] = {"release": version, "steps": {}}
    procs: list[subprocess.Popen[bytes]] = []
    db = f"sqlite:///{out / 'clawscope.db'}"
    with Store(db) as store:
        key, _ = store.keys.create("conformance", ("stats:read",), 100_000)
    try:
        py_env = dict(os.environ, PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}")
        fake = [sys.executable, "-m", "tests.conformance.fakellm", "--port", str(LLM_PORT)]
        fake += ["--log", str(out / "fakellm.log"), "--ready-file", str(out / "fakellm.ready")]
        procs.append(subprocess.Popen(fake, env=py_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        cs_env = dict(
            py_env, CLAWSCOPE_DB=db, CLAWSCOPE_HOME=str(out / "cs-home"), CLAWSCOPE_EVENTS_SECRET=SECRET
        )
        cs_env["CLAWSCOPE_CONFIG"] = str(out / "none.toml")
        server = [sys.executable, "-m", "uvicorn", "--factory", "clawscope.web.app:app_from_env"]
        server += ["--host", "127.0.0.1", "--port", str(CS_PORT), "--log-level", "warning"]
        with (out / "clawscope-server.log").open("wb") as log:
            procs.append(subprocess.Popen(server, env=cs_env, stdout=log, stderr=subprocess.STDOUT))
        cs_url = f"http://127.0.0.1:{CS_PORT}"
        _wait((out / "fakellm.ready").exists, 30, "fake LLM did not start")
        _wait(lambda: _answers(cs_url + "/api/v1/health"), 60, "clawscope did not start")

        install = [*oc, "plugins", "install", "--force", "--accept-capabilities", str(PLUGIN)]
        proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=300, check=False)
        result["steps"]["install"] = {
            "rc": proc.returncode,
            "out": proc.stdout[-2000:],
            "err": proc.stderr[-2000:],
        }
        config = json.loads(cfg_path.read_text())
        entry = config.setdefault("plugins", {}).setdefault("entries", {}).setdefault("clawscope", {})
        entry["enabled"] = True
        entry["config"] = {"url": cs_url, "secret": SECRET}
        entry["hooks"] = {"allowConversationAccess": True}  # llm_output, message_* and agent_end
        cfg_path.write_text(json.dumps(config, indent=2))

        gw = [*oc, "gateway", "run", "--port", str(GATEWAY_PORT), "--bind", "loopback"]
        gw += ["--auth", "token", "--token", GATEWAY_TOKEN]
        with (out / "gateway.log").open("wb") as log:
            gateway = subprocess.Popen(gw, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(gateway)
        auth = {"Authorization": f"Bearer {GATEWAY_TOKEN}"}
        _wait(
            lambda: (
                gateway.poll() is not None or _answers(f"http://127.0.0.1:{GATEWAY_PORT}/v1/models", auth)
            ),
            180,
            "gateway did not answer",
        )
        with SseReader(
            cs_url + "/api/v1/openclaw/stream", {"Authorization": f"Bearer {key}"}, read_timeout=60
        ) as sse:
            turn = [*oc, "agent", "--agent", "main", "--message", MESSAGE, "--json", "--timeout", "150"]
            t0 = time.monotonic()
            proc = subprocess.run(turn, env=env, capture_output=True, text=True, timeout=200, check=False)
            result["steps"]["agent"] = {
                "rc": proc.returncode,
                "seconds": round(time.monotonic() - t0, 1),
                "err": proc.stderr[-2000:],
            }
            events = sse.take(50, 20)
        # `at`: seconds after the agent command started (the turn took `steps.agent.seconds`)
        result["events"] = [
            {"id": e.id, "type": e.event, "at": round(e.received - t0, 2), "data": e.data} for e in events
        ]
        with Store(db) as store:
            result["observations"] = store.observations.query(source="hook", limit=1000)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        (out / "plugin-live.json").write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "2026.9.6")
