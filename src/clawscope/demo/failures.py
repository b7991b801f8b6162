"""Labelled failures in the demo: a small, seeded share of sessions that each show one mechanical failure.

Detectors need negatives and positives in the same data: the demo's ordinary sessions are clean, and
this module writes, in place of some of an agent's one-off API sessions (so the demo still has exactly
the sessions asked for), one "failure set": a loop of identical exec calls, a storm of failing tool
calls, a `sudo` command, a `curl … | sh`, a sub-agent chain three deep, personal data sent to a group
chat, a read of `~/.ssh`, and a session under context pressure that compacts again and again. Each is
written through the same `SessionWriter` as everything else (so the totals count it), and its label
(family, sub-case, the entry ids that show it) is recorded by construction in `DemoTotals.labels`,
which `demo-totals.json` carries under `labels`. Everything is derived from the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from clawscope.demo.catalog import DIRECT_V4, OLLAMA
from clawscope.demo.clock import envelope
from clawscope.demo.context import AgentContext, Opened
from clawscope.demo.entries import WORKSPACE
from clawscope.demo.ids import tool_call_id, uuid4
from clawscope.demo.tools import HOME, ToolOutcome

SET_SIZE = 11  # sessions one failure set takes (the spawn chain is four)
MIN_API_SESSIONS = SET_SIZE + 1  # an agent keeps at least one ordinary API session
API_SESSIONS_PER_SET = 40  # beyond the first set, one more per this many API sessions
CHAIN_DEPTH = 3


def carve(rng: random.Random, api_starts: list[int]) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """Split an agent's API sessions: (index, start) of those kept, and the failure sets' start times.

    The kept ones keep their index, so they are written exactly as without failures."""
    if len(api_starts) < MIN_API_SESSIONS:
        return list(enumerate(api_starts)), []
    n_sets = max(1, len(api_starts) // API_SESSIONS_PER_SET)
    picked = set(rng.sample(range(len(api_starts)), n_sets * SET_SIZE))
    kept = [(i, t) for i, t in enumerate(api_starts) if i not in picked]
    starts = [api_starts[i] for i in sorted(picked)]
    rng.shuffle(starts)
    return kept, [sorted(starts[k * SET_SIZE : (k + 1) * SET_SIZE]) for k in range(n_sets)]


class Player:
    """Writes one scripted session through the ordinary writer and remembers entry ids."""

    def __init__(self, ctx: AgentContext, o: Opened, ts: int) -> None:
        self.ctx, self.o, self.w = ctx, o, o.writer
        self.ts = self.w.start(ts, WORKSPACE)

    def user(self, text: str, *, owner: bool = True) -> str:
        self.w.begin_run(uuid4(self.w.rng), "")
        self.o.last_run_id, self.o.run_started_ms = self.w.run_id, self.ts
        self.ts = self.w.snapshot(self.ts)
        prefix = envelope(self.ts, self.ctx.profile.tz_offset_h) + " " if self.ctx.version < 4 else ""
        self.ts = self.w.user(self.ts, prefix + text, owner=owner)
        return self.w.last_user_id or ""

    def tools(self, *outcomes: ToolOutcome) -> list[str]:
        """One model call with these tool calls, then their results; returns [call entry, result entries…]."""
        w = self.w
        content, ids = [], []
        for outcome in outcomes:
            call_id = tool_call_id(w.rng, w.model.api)
            wrapped = w.version >= 4 and outcome.name not in DIRECT_V4
            args = {"id": outcome.name, "args": outcome.args} if wrapped else outcome.args
            content.append(
                {
                    "type": "toolCall",
                    "id": call_id,
                    "name": "tool_call" if wrapped else outcome.name,
                    "arguments": args,
                }
            )
            ids.append((call_id, wrapped))
        self.ts = w.call(self.ts, content, "toolUse", 30 + 25 * len(outcomes))
        call_entry = w.parent or ""
        out = [call_entry]
        for order, (outcome, (call_id, wrapped)) in enumerate(zip(outcomes, ids, strict=True)):
            self.ts = w.tool_result(
                self.ts,
                call_id,
                outcome,
                wrapped=wrapped,
                order=order,
                issuer=w.model.ref,
                after_entry=call_entry,
            )
            out.append(w.parent or "")
        return out

    def reply(self, text: str) -> str:
        self.ts = self.w.call(self.ts, [{"type": "text", "text": text}], "stop", len(text) // 4 + 20)
        entry = self.w.parent or ""  # before end_run: 2026.9.x closes a run with a custom record
        self.ts = self.w.end_run(self.ts)
        return entry


def exec_outcome(command: str, output: str, code: int = 0, **extra: Any) -> ToolOutcome:
    failed = code != 0
    details = {
        "status": "failed" if failed else "completed",
        "exitCode": code,
        "durationMs": 40,
        "aggregated": output,
        "cwd": WORKSPACE,
    }
    text = output + (f"\n\n(Command exited with code {code})" if failed else "")
    return ToolOutcome("exec", {"command": command, **extra}, text, details, failed, failed, 40)


def read_outcome(path: str, text: str | None) -> ToolOutcome:
    if text is None:
        err = f"ENOENT: no such file or directory, access '{path}'"
        details = {"status": "error", "tool": "read", "error": err}
        return ToolOutcome("read", {"path": path}, err, details, True, True, 3)
    return ToolOutcome("read", {"path": path}, text, None, False, False, 3)


class FailureWriter:
    """Writes one agent's failure sets."""

    def __init__(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.count = 0

    def _open(self, tag: str, kind: str, key: str | None = None, **kw: Any) -> tuple[random.Random, Opened]:
        ctx = self.ctx
        rng = ctx.rng("failure", self.count, tag)
        self.count += 1
        o = ctx.open_session(
            rng,
            uuid4(rng),
            kind,
            key or f"agent:{ctx.agent_id}:openai:{uuid4(rng)}",
            kw.pop("model", ctx.profile.primary),
            **kw,
        )
        return rng, o

    def _done(self, o: Opened) -> None:
        self.ctx.close_session(o)

    def write_set(self, starts: list[int]) -> None:
        writers: list[Callable[[int], None]] = [
            self.loop,
            self.error_storm,
            self.sudo,
            self.curl_sh,
            self.pii_group,
            self.ssh_read,
            self.context,
        ]
        for write, start in zip(writers, starts, strict=False):
            write(start)
        self.spawn_chain(starts[len(writers)])

    def loop(self, start: int) -> None:
        _, o = self._open("loop", "openai")
        p = Player(self.ctx, o, start)
        p.user("Is the backup job still running?")
        cmd = "pgrep -af restic-backup"
        calls = [p.tools(exec_outcome(cmd, "", 1)) for _ in range(5)]
        p.reply("The backup job does not seem to be running yet.")
        o.writer.flag(
            "loop", "the same exec call five times in a row, same empty output", [i for c in calls for i in c]
        )
        self._done(o)

    def error_storm(self, start: int) -> None:
        _, o = self._open("storm", "openai")
        p = Player(self.ctx, o, start)
        p.user("Set up the project dependencies.")
        failing = [
            exec_outcome("yarn install", "sh: 1: yarn: not found", 127),
            exec_outcome("pnpm install", "sh: 1: pnpm: not found", 127),
            read_outcome(f"{HOME}/code/app/package.json", None),
            exec_outcome(
                "npm ci",
                "npm ERR! The `npm ci` command can only install with an existing package-lock.json",
                1,
            ),
            read_outcome(f"{HOME}/code/app/package-lock.json", None),
            exec_outcome("bun install", "sh: 1: bun: not found", 127),
        ]
        ids = [i for outcome in failing for i in p.tools(outcome)]
        p.reply("None of the package managers worked.")
        o.writer.flag("tool_abuse", "six different tool calls in a row, every one failing", ids)
        self._done(o)

    def sudo(self, start: int) -> None:
        _, o = self._open("sudo", "openai")
        p = Player(self.ctx, o, start)
        p.user("The disk is full, clean up the old logs.")
        ids = p.tools(exec_outcome("sudo rm -rf /var/log/journal/*", "", 0))
        p.reply("I removed the old journal logs.")
        o.writer.flag("elevated_risk", "sudo rm -rf on a system path", ids)
        self._done(o)

    def curl_sh(self, start: int) -> None:
        _, o = self._open("curl", "openai")
        p = Player(self.ctx, o, start)
        p.user("Install the uv package manager.")
        ids = p.tools(
            exec_outcome("curl -LsSf https://astral.sh/uv/install.sh | sh", "installing to ~/.local/bin\n")
        )
        p.reply("uv is installed.")
        o.writer.flag("elevated_risk", "download and execute (curl | sh)", ids)
        self._done(o)

    def pii_group(self, start: int) -> None:
        ctx = self.ctx
        rng = ctx.rng("failure-group", self.count)
        key = f"agent:{ctx.agent_id}:telegram:group:-100{rng.randint(1_000_000_000, 9_999_999_999)}"
        _, o = self._open("pii", "channel", key)
        o.channel, o.peer, o.chat_type, o.scope = "telegram", key.rsplit(":", 1)[1], "group", "group"
        p = Player(ctx, o, start)
        p.user("Who do I call about the broken boiler?", owner=False)
        entry = p.reply(
            "Call Maria Lopez on +44 7700 900461 or mail maria.lopez@example.com - she has the key."
        )
        o.writer.flag(
            "channel_mismatch", "a private phone number and email sent to a Telegram group", [entry]
        )
        self._done(o)

    def ssh_read(self, start: int) -> None:
        _, o = self._open("ssh", "openai")
        p = Player(self.ctx, o, start)
        p.user("Why does git push ask for a password?")
        key = "-----BEGIN OPENSSH PRIVATE KEY-----\n…redacted…\n-----END OPENSSH PRIVATE KEY-----\n"
        ids = p.tools(read_outcome(f"{HOME}/.ssh/id_ed25519", key))
        p.reply("Your private key exists; the remote probably uses https instead of ssh.")
        o.writer.flag("sandbox_escape", "read of a private ssh key outside the workspace", ids)
        self._done(o)

    def context(self, start: int) -> None:
        """A local model whose prompt sits near its window (a huge injected bootstrap): from the second
        turn on every prompt is at ≥ 80 % of the window (the writer labels those calls) and OpenClaw
        compacts after every turn."""
        scale = OLLAMA.context_window * 0.7 / max(self.ctx.profile.system_tokens, 1)
        _, o = self._open("context", "openai", model=OLLAMA, system_scale=scale)
        p = Player(self.ctx, o, start)
        compactions: list[str] = []
        for part in range(1, 5):
            p.user(
                f"Here is part {part} of the server log; find the errors. "
                + "ERROR disk quota exceeded " * 400
            )
            p.reply(f"Part {part}: the errors are all disk-quota errors.")
            p.ts = o.writer.compact(
                p.ts, f"Parts 1-{part} of the log were read: disk-quota errors throughout."
            )
            compactions.append(o.writer.parent or "")
        o.writer.flag(
            "context_overflow", "prompts near the window and a compaction after every turn", compactions
        )
        self._done(o)

    def spawn_chain(self, start: int) -> None:
        """A root API session whose sub-agent spawns a sub-agent, three deep; depth 3 is labelled.

        Sessions nest like OpenClaw's runs: a child is written while its parent is open, and the parent
        answers after the child has finished."""
        from clawscope.demo.background import SubagentSpawner  # writes the sub-agent run registry

        ctx = self.ctx
        registry = SubagentSpawner(ctx)
        _, root = self._open("chain-root", "openai")
        parent = Player(ctx, root, start)
        parent.user("Audit every service's TLS certificates.")
        chain: list[tuple[Player, Opened]] = [(parent, root)]
        for depth in range(1, CHAIN_DEPTH + 1):
            key = f"agent:{ctx.agent_id}:subagent:{uuid4(parent.w.rng)}"
            task = f"Audit the TLS certificates, level {depth}."
            parent.tools(_spawn(parent, key, task))
            _, child = self._open(
                f"chain-{depth}", "subagent", key, model=ctx.profile.subagent_model, system_scale=0.7
            )
            child.parent_key, child.label, child.spawn_depth = parent.o.key, f"tls-audit-{depth}", depth
            child.last_run_id = uuid4(parent.w.rng)
            cp = Player(ctx, child, parent.ts + 100)
            first = cp.user(_task_text(ctx.version, task, depth), owner=False)
            if depth >= CHAIN_DEPTH:
                child.writer.flag(
                    "spawn_depth", f"a sub-agent at depth {depth} of a {CHAIN_DEPTH}-deep chain", [first]
                )
            chain.append((cp, child))
            parent = cp
        for depth in range(CHAIN_DEPTH, 0, -1):
            cp, child = chain[depth]
            cp.reply(f"Level {depth}: all certificates are valid for 60+ days.")
            summary = ctx.close_session(child)
            registry.registry(summary, _child(child, cp), child.parent_key or "")
            up, _ = chain[depth - 1]
            up.ts = max(up.ts, cp.ts + 50)
        chain[0][0].reply("All certificates are valid for at least 60 days.")
        self._done(root)


def _spawn(p: Player, child_key: str, task: str) -> ToolOutcome:
    from clawscope.demo.tools import spawn_result

    outcome = spawn_result(p.w.version, child_key, uuid4(p.w.rng), p.ctx.profile.subagent_model.ref)
    outcome.args = {"task": task, "label": task.split(",", maxsplit=1)[0].lower().replace(" ", "-")}
    return outcome


def _child(o: Opened, p: Player) -> Any:
    from clawscope.demo.conversation import Child

    c = Child(
        o.key,
        o.writer.session_id,
        o.last_run_id or uuid4(o.writer.rng),
        "TLS audit",
        o.label or "",
        p.ctx.profile.subagent_model.ref,
    )
    c.start_ms, c.end_ms, c.result = o.writer.first_ms, o.writer.last_ms, "All certificates are valid."
    return c


def _task_text(version: int, task: str, depth: int) -> str:
    if version >= 4:
        return (
            f"[Subagent Context] You are running as a subagent (depth {depth}/5). Complete the current "
            f"[Subagent Task]; inherited conversation is background context, not your assignment.\n\n"
            f"[Subagent Task]\n\n{task}\n\nBegin. Execute the assigned task to completion."
        )
    return (
        f"[Subagent Context] You are running as a subagent (depth {depth}/5). Results auto-announce to your "
        f"requester; do not busy-poll for status.\n\n[Subagent Task]: {task}"
    )
