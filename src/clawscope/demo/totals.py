"""The generator's own count of what it wrote: the oracle a demo round trip is checked against.

Counted while writing, never by re-reading. Definitions (the same an ingester must apply):
* sessions: distinct transcript session ids (archived resets included);
* records: transcript records written (JSONL lines incl. headers, or `transcript_events` rows);
* messages: records of `type:"message"`, whatever the role;
* llmCalls: assistant messages that are model calls: all of them except gateway-injected notices,
  delivery mirrors and `stopReason:"injected"` command replies; error rows are model calls;
* errors: model calls with `stopReason:"error"`;
* toolCalls: `toolCall` blocks of model calls; a Tool Search `tool_call` wrapper counts once, under
  the inner tool's name; toolErrors: tool calls whose result is an error (`isError` or
  `details.status` "error"/"failed");
* tokensIn/Out, cacheRead/Write, costUSD: sums of the calls' `usage` fields and `usage.cost.total`.
Breakdowns: by model (`provider/model`), agent, session kind (`clawscope.model.SessionKind` of the
session's most specific key: a cron run is `cron-run`) and trigger (the turn's reason: heartbeat
turns and sub-agent announce turns inside a main session count as `heartbeat` / `subagent`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

TOTALS_VERSION = 1
LABELS_FORMAT = "clawscope-detect-labels/1"  # the detection corpus's labels format (tests/fixtures/detect)
DETECTOR_FAMILIES = (
    "loop",
    "tool_abuse",
    "elevated_risk",
    "spawn_depth",
    "channel_mismatch",
    "sandbox_escape",
    "coordination_failure",
    "persona_drift",
    "hallucination",
    "context_overflow",
    "prompt_injection",
)

# Cell layout: one list of sums per (agent, session kind, trigger, model) combination.
_MESSAGES, _CALLS, _ERRORS, _TOOLS, _TOOL_ERRORS, _IN, _OUT, _CR, _CW, _COST = range(10)
_FIELDS = (
    "messages",
    "llmCalls",
    "errors",
    "toolCalls",
    "toolErrors",
    "tokensIn",
    "tokensOut",
    "cacheRead",
    "cacheWrite",
    "costUSD",
)
_DIMS = ("byAgent", "bySessionKind", "byTrigger", "byModel")


@dataclass(slots=True)
class Totals:
    """Counts and sums for one slice of the demo (everything, one agent, one model, …)."""

    sessions: int = 0
    messages: int = 0
    llmCalls: int = 0  # noqa: N815 - JSON names
    errors: int = 0
    toolCalls: int = 0  # noqa: N815
    toolErrors: int = 0  # noqa: N815
    tokensIn: int = 0  # noqa: N815
    tokensOut: int = 0  # noqa: N815
    cacheRead: int = 0  # noqa: N815
    cacheWrite: int = 0  # noqa: N815
    costUSD: float = 0.0  # noqa: N815

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["costUSD"] = round(self.costUSD, 10)
        return out


@dataclass(slots=True)
class ToolTotals:
    calls: int = 0
    errors: int = 0


@dataclass(slots=True)
class DemoTotals:
    """Everything the generator wrote, with breakdowns. `as_dict()` is the `demo-totals.json` shape.

    Counting goes into a small cube of cells (agent × session kind × trigger × model): one list
    update per record instead of one per breakdown, which matters at a million calls. The totals and
    breakdowns are sums over the cube.
    """

    seed: int
    era: str
    agents: int
    anchor: str
    records: int = 0
    compactions: int = 0
    heartbeatTurns: int = 0  # noqa: N815
    nonModelAssistant: int = 0  # noqa: N815
    zstdRows: int = 0  # noqa: N815
    byTool: dict[str, ToolTotals] = field(default_factory=dict)  # noqa: N815
    cells: dict[tuple[str, str, str, str], list[Any]] = field(default_factory=dict)
    session_counts: dict[tuple[int, str], int] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # session id → its detector labels

    def cell(self, agent: str, kind: str, trigger: str, model: str) -> list[Any]:
        key = (agent, kind, trigger, model)
        c = self.cells.get(key)
        if c is None:
            c = self.cells[key] = [0] * 9 + [0.0]
        return c

    def group(self, dim: str) -> dict[str, Totals]:
        """One breakdown (`byAgent`, `bySessionKind`, `byTrigger`, `byModel`) summed from the cube."""
        axis = _DIMS.index(dim)
        out: dict[str, Totals] = {}
        for key, c in self.cells.items():
            name = key[axis]
            if not name:  # messages no model wrote (user, tool results) have no model
                continue
            _add(out.setdefault(name, Totals()), c)
        for (a, name), n in self.session_counts.items():
            if a == axis:
                out.setdefault(name, Totals()).sessions += n
        return out

    @property
    def all(self) -> Totals:
        t = Totals()
        for c in self.cells.values():
            _add(t, c)
        t.sessions = sum(n for (a, _), n in self.session_counts.items() if a == 0)
        return t

    def as_dict(self) -> dict[str, Any]:
        def table(dim: str) -> dict[str, Any]:
            g = self.group(dim)
            return {k: g[k].as_dict() for k in sorted(g)}

        return {
            "generator": "clawscope demo",
            "version": TOTALS_VERSION,
            "complete": True,
            "seed": self.seed,
            "era": self.era,
            "agents": self.agents,
            "anchor": self.anchor,
            **self.all.as_dict(),
            "records": self.records,
            "compactions": self.compactions,
            "heartbeatTurns": self.heartbeatTurns,
            "nonModelAssistant": self.nonModelAssistant,
            "zstdRows": self.zstdRows,
            **{dim: table(dim) for dim in ("byModel", "byAgent", "bySessionKind", "byTrigger")},
            "byTool": {k: {"calls": v.calls, "errors": v.errors} for k, v in sorted(self.byTool.items())},
            "labels": {
                "format": LABELS_FORMAT,
                "families": list(DETECTOR_FAMILIES),
                "complete": False,  # sessions not listed are clean: negatives for every family
                "sessions": dict(sorted(self.labels.items())),
            },
        }


def session_label(key: str, labels: dict[str, tuple[str, list[str]]]) -> dict[str, Any]:
    """A labelled session as the labels file lists it."""
    return {
        "sessionKey": key,
        "families": sorted(labels),
        "entries": {f: labels[f][1] for f in sorted(labels)},
        "subcases": {f: labels[f][0] for f in sorted(labels)},
    }


def _add(t: Totals, c: list[Any]) -> None:
    for name, value in zip(_FIELDS, c, strict=True):
        setattr(t, name, getattr(t, name) + value)


class Tally:
    """Adds one session's records to the totals; knows the session's agent, kind and current trigger."""

    def __init__(self, totals: DemoTotals, agent: str, kind: str, trigger: str) -> None:
        self.t = totals
        self.agent = agent
        self.kind = kind
        self.trigger = trigger
        self._plain = totals.cell(agent, kind, trigger, "")
        self._by_model: dict[str, list[Any]] = {}
        self._triggers: set[str] = set()
        self._models: set[str] = set()

    def set_trigger(self, trigger: str) -> None:
        self.trigger = trigger
        self._plain = self.t.cell(self.agent, self.kind, trigger, "")
        self._by_model = {}

    def _model_cell(self, model_ref: str) -> list[Any]:
        c = self._by_model.get(model_ref)
        if c is None:
            c = self._by_model[model_ref] = self.t.cell(self.agent, self.kind, self.trigger, model_ref)
            self._models.add(model_ref)
        return c

    def record(self) -> None:
        self.t.records += 1

    def message(self, model_ref: str | None = None) -> None:
        self.t.records += 1
        self._triggers.add(self.trigger)
        (self._plain if model_ref is None else self._model_cell(model_ref))[_MESSAGES] += 1

    def call(self, model_ref: str, usage: tuple[int, int, int, int], cost: float, error: bool) -> None:
        """One model call (its message is counted by `message`)."""
        c = self._model_cell(model_ref)
        c[_CALLS] += 1
        c[_ERRORS] += error
        c[_IN] += usage[0]
        c[_OUT] += usage[1]
        c[_CR] += usage[2]
        c[_CW] += usage[3]
        c[_COST] += cost

    def tool(self, model_ref: str, name: str, error: bool) -> None:
        """One tool call, counted when its result (and so its outcome) is written."""
        c = self._model_cell(model_ref)
        c[_TOOLS] += 1
        c[_TOOL_ERRORS] += error
        tt = self.t.byTool.get(name)
        if tt is None:
            tt = self.t.byTool[name] = ToolTotals()
        tt.calls += 1
        tt.errors += error

    def close(self) -> None:
        """The session is complete: count it once in every slice it touched."""
        counts = self.t.session_counts
        for axis, names in ((0, (self.agent,)), (1, (self.kind,)), (2, self._triggers), (3, self._models)):
            for name in names:
                counts[(axis, name)] = counts.get((axis, name), 0) + 1
