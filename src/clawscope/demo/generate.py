"""`generate()`: write a synthetic OpenClaw state dir of either era and return what was written.

The output directory is guarded: the generator writes only into an empty directory or one that holds
a previous demo (recognised by its `demo-totals.json` marker, written first and completed last), and
then replaces only what a demo writes. Everything is derived from the seed; nothing reads the clock.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from clawscope.demo.catalog import OLLAMA
from clawscope.demo.clock import anchor_ms, iso
from clawscope.demo.context import AgentContext
from clawscope.demo.ids import Rng
from clawscope.demo.jsonl_writer import JsonlSink
from clawscope.demo.scenario import plan_agent, split
from clawscope.demo.sink import Sink
from clawscope.demo.sqlite_writer import SqliteSink
from clawscope.demo.story import run_agent
from clawscope.demo.totals import DemoTotals
from clawscope.errors import UsageError

ERAS = ("jsonl", "sqlite")
TOTALS_FILE = "demo-totals.json"
MAX_AGENTS = 50
MAX_SESSIONS = 5_000_000
_OWNED = frozenset({"agents", "cron", "subagents", "openclaw.json", TOTALS_FILE})


def generate(
    out_dir: Path, *, sessions: int, agents: int, era: str, seed: int, end_ms: int | None = None
) -> DemoTotals:
    """Write the demo state dir into `out_dir`; return the generator's own totals.

    The totals are also written to `out_dir/demo-totals.json`. Raises `UsageError` for bad arguments or
    an output directory that is neither empty nor a previous demo.
    """
    _check_args(sessions, agents, era, seed)
    _prepare(out_dir)
    # the seed's fixed anchor keeps tests reproducible; `serve` passes the current hour so that
    # a demo dashboard has a "today" and a "last 7 days"
    anchor = anchor_ms(seed) if end_ms is None else end_ms - end_ms % 3_600_000
    totals = DemoTotals(seed=seed, era=era, agents=agents, anchor=iso(anchor))
    marker = out_dir / TOTALS_FILE
    marker.write_bytes(orjson.dumps({"generator": "clawscope demo", "complete": False}))
    sink: Sink = JsonlSink(out_dir) if era == "jsonl" else SqliteSink(out_dir, totals)
    plan_rng = Rng(f"clawscope-demo:{seed}:plan")
    budgets = split(sessions, [1.0 / (i + 1) ** 0.8 for i in range(agents)], 1)
    names = []
    for index, n in enumerate(budgets):
        plan = plan_agent(plan_rng, index, n, anchor, showcase=index == 0)
        names.append(plan.profile.agent_id)
        run_agent(AgentContext(sink=sink, totals=totals, plan=plan, seed=seed))
    sink.finish()
    (out_dir / "openclaw.json").write_bytes(_config(era, names))
    marker.write_bytes(orjson.dumps(totals.as_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    return totals


def _check_args(sessions: int, agents: int, era: str, seed: int) -> None:
    if era not in ERAS:
        raise UsageError(f"--era must be one of {', '.join(ERAS)}, not {era!r}")
    if not 1 <= agents <= MAX_AGENTS:
        raise UsageError(f"--agents must be between 1 and {MAX_AGENTS}, not {agents}")
    if not agents <= sessions <= MAX_SESSIONS:
        raise UsageError(
            f"--sessions must be between the number of agents ({agents}) and {MAX_SESSIONS}, "
            f"not {sessions}: every agent has at least its main session"
        )
    if seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {seed}")


def is_demo_dir(path: Path) -> bool:
    """True when `path` holds (possibly unfinished) demo output and nothing else."""
    marker = path / TOTALS_FILE
    try:
        data = orjson.loads(marker.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    if not isinstance(data, dict) or data.get("generator") != "clawscope demo":
        return False
    return all(p.name in _OWNED for p in path.iterdir())


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not is_demo_dir(out_dir):
            raise UsageError(
                f"{out_dir} is not empty and does not hold a previous demo; choose an empty or new directory"
            )
        for p in out_dir.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def _config(era: str, agent_ids: list[str]) -> bytes:
    """A minimal `openclaw.json` in the shape of the real one: defaults, the local Ollama provider, gateway.

    The agent list is written only for the JSONL era (`agents.list`); 2026.9.x keeps agents under
    `agents.entries`, whose exact shape the samples do not show.
    """
    agents: dict[str, object] = {
        "defaults": {
            "model": {"primary": "anthropic/claude-sonnet-4-5"},
            "workspace": "/home/claw/.openclaw/workspace",
        }
    }
    if era == "jsonl":
        agents["list"] = [{"id": a, **({"default": True} if i == 0 else {})} for i, a in enumerate(agent_ids)]
    ollama = {
        "baseUrl": "http://127.0.0.1:11434",
        "api": "ollama",
        "models": [
            {
                "id": OLLAMA.id,
                "name": "Qwen3 14B",
                "reasoning": False,
                "input": ["text"],
                "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                "contextWindow": OLLAMA.context_window,
                "maxTokens": 8192,
            }
        ],
    }
    return orjson.dumps(
        {
            "agents": agents,
            "models": {"mode": "merge", "providers": {"ollama": ollama}},
            "gateway": {"mode": "local", "bind": "loopback", "port": 18789},
        },
        option=orjson.OPT_INDENT_2,
    )
