"""`elevated_risk`: commands run with more power than the sandbox gives, or that change the machine.

* `elevated_risk.escalation` — exec with `elevated: true`, exec sent to the gateway or a node host with
  `security: full`, and sessions set to `/elevated full`. OpenClaw usually refuses elevated exec on
  a direct runtime; the attempt stays in the transcript and is reported as an unauthorized
  escalation attempt (lower severity than one that ran).
* `elevated_risk.risky-command` — shell commands that escalate (`sudo`, `su`, `doas`), delete system
  paths (`rm -rf /etc/…`, `~`), download and execute (`curl … | sh`, `sh -c "$(wget …)"`, a download
  then run), open permissions (`chmod -R 777`, 777 on system paths), or persist (crontab edits, writes
  to `authorized_keys`). Only what runs counts: `grep sudo docs`, a `curl | sh` line written into a
  document, `rm -rf ./build` and `chmod +x` in the workspace are not risks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.common import (
    ESCALATORS,
    INTERPRETERS,
    call_entries,
    classify,
    failed,
    finding,
    flags,
    home_of,
    operands,
    pipelines,
    program,
    resolve,
    simple_commands,
)
from clawscope.model.detection import Finding, FindingSeverity, SessionView, ToolUse

_REFUSED = re.compile(
    r"elevated is not available|not allowed|denied|requires approval|approval required", re.I
)


def _refused(t: ToolUse) -> bool:
    return t.status == "error" and bool(_REFUSED.search((t.error_text or "") + t.output_text[:500]))


class Escalation:
    id: ClassVar[str] = "elevated_risk.escalation"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "elevated_risk"
    defaults: ClassVar[dict[str, Any]] = {"escalated_hosts": ["gateway", "node"], "allowed_commands": []}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        out = []
        for t in view.tools:
            if t.name not in ("exec", "bash") or _allowed(t, p):
                continue
            args = t.arguments
            elevated = t.exec_elevated if t.exec_elevated is not None else args.get("elevated") is True
            host = t.exec_host or args.get("host")
            security = t.exec_security or args.get("security")
            why = []
            if elevated:
                why.append("elevated: true")
            # an explicit gateway/node host runs outside the sandbox; security full (no allowlist)
            # and ask off (no approval) remove the last checks
            unchecked = security == "full" or args.get("ask") == "off"
            if host in p["escalated_hosts"]:
                why.append(
                    f"host: {host}"
                    + (f", security: {security}" if security else "")
                    + (", ask: off" if args.get("ask") == "off" else "")
                )
            if not why:
                continue
            refused = _refused(t)
            kind = "unauthorized escalation attempt (refused)" if refused else "escalated exec"
            out.append(
                finding(
                    self,
                    view,
                    t.call_entry_id or "",
                    call_entries([t]),
                    f"{kind}: {', '.join(why)}: {(t.exec_command or '')[:120]}",
                    {
                        "command": t.exec_command,
                        "elevated": bool(elevated),
                        "host": host,
                        "security": security,
                        "ask": args.get("ask"),
                        "refused": refused,
                    },
                    FindingSeverity.WARNING
                    if refused or not (elevated or unchecked)
                    else FindingSeverity.CRITICAL,
                    0.95,
                )
            )
        level = (view.session.elevated_level or "").lower()
        execs = [t for t in view.tools if t.name in ("exec", "bash")]
        if level == "full" and execs and not out:
            first = execs[0]
            out.append(
                finding(
                    self,
                    view,
                    first.call_entry_id or "",
                    call_entries(execs),
                    f"session runs /elevated full: {len(execs)} exec call(s) on the host without approval",
                    {"elevatedLevel": level, "execs": len(execs)},
                    FindingSeverity.WARNING,
                    0.7,
                )
            )
        return out


def _allowed(t: ToolUse, p: dict[str, Any]) -> bool:
    cmd = (t.exec_command or "").strip()
    return any(cmd == a or cmd.startswith(str(a) + " ") for a in p.get("allowed_commands", []))


DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c"})
_SUBST_EXEC = re.compile(
    r"\b(sh|bash|zsh|dash|python3?|perl|ruby|node)\s+(-c\s+)?[\"']?\s*[<$]\(\s*(curl|wget)\b"
)
_CRON_PATHS = ("/etc/cron", "/var/spool/cron", "/etc/crontab")


_MAYBE = re.compile(
    r"\b(sudo|su|doas|pkexec|run0|rm|chmod|crontab|curl|wget|fetch|aria2c)\b|authorized_keys|/cron|\$\(|<\("
)


def _risks(command: str, home: str | None, cwd: str | None) -> list[str]:
    """What is risky in one shell command line (empty: nothing)."""
    if not _MAYBE.search(command):  # most commands: nothing to parse
        return []
    risks: list[str] = []
    for pipe in pipelines(command):
        names = [program(a) for a in pipe]
        for i, n in enumerate(names):
            if n in DOWNLOADERS and any(m in INTERPRETERS for m in names[i + 1 :]):
                risks.append(
                    f"download and execute ({n} | {next(m for m in names[i + 1 :] if m in INTERPRETERS)})"
                )
    if _SUBST_EXEC.search(command):
        risks.append("download and execute (command substitution)")
    downloaded: set[str] = set()
    for argv in simple_commands(command):
        n = program(argv)
        f = flags(argv)
        ops = operands(argv)
        if n in ESCALATORS:
            risks.append(f"privilege escalation ({n})")
        elif n in DOWNLOADERS:
            for j, w in enumerate(argv[:-1]):
                if w in ("-o", "-O", "--output") and argv[j + 1] != "-":
                    downloaded.add(argv[j + 1].lstrip("./"))
        elif n in INTERPRETERS | {"chmod"} and downloaded and any(o.lstrip("./") in downloaded for o in ops):
            if n != "chmod":
                risks.append("download and execute (downloaded file run)")
        elif n.lstrip("./") in downloaded and argv[0].startswith(("./", "/")):
            risks.append("download and execute (downloaded file run)")
        if n == "rm" and ("r" in f or "R" in f or "--recursive" in f):
            for o in ops:
                target = resolve(o, cwd, home)
                if o.strip("'\"") in ("/", "/*", "~", "~/", "$HOME", "${HOME}") or (
                    target and (target == home or classify(target, home) in ("system", "sensitive"))
                ):
                    risks.append(f"recursive delete of {o}")
                    break
        if n == "chmod":
            mode = next((o for o in ops if re.fullmatch(r"[0-7]{3,4}|[ugoa]*[+=]rwx", o)), "")
            if mode.endswith("777") or (mode.endswith("rwx") and mode[:1] in ("a", "o", "+", "=")):
                targets = [o for o in ops if o != mode]
                system = [o for o in targets if (r := resolve(o, cwd, home)) and classify(r, home) != "other"]
                if system or "R" in f or "--recursive" in f:
                    risks.append(f"world-writable permissions (chmod {mode} {' '.join(targets)[:60]})")
        if n == "crontab" and [w for w in argv[1:] if w != "-l"] not in ([], ["-u", *ops[:1]]):
            risks.append("crontab edit (persistence)")
        if any("authorized_keys" in w for w in argv) and (
            n in ("tee", "cp", "mv", "install", "ssh-copy-id", "sed") or ">" in " ".join(argv)
        ):
            risks.append("authorized_keys edit (persistent access)")
        if ">" in " ".join(argv) and any(w.startswith(_CRON_PATHS) for w in argv):
            risks.append("cron file edit (persistence)")
    return list(dict.fromkeys(risks))


class RiskyCommand:
    id: ClassVar[str] = "elevated_risk.risky-command"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "elevated_risk"
    defaults: ClassVar[dict[str, Any]] = {"allowed_commands": [], "home": None}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        home = home_of(view, p)
        out = []
        for t in view.tools:
            risks: list[str] = []
            if t.name in ("exec", "bash") and t.exec_command and not _allowed(t, p):
                risks = _risks(t.exec_command, home, view.session.cwd)
            elif t.name in ("write", "edit", "apply_patch"):
                path = str(t.arguments.get("path") or t.arguments.get("file_path") or "")
                if path.endswith("authorized_keys"):
                    risks = ["authorized_keys edit (persistent access)"]
                elif path.startswith(_CRON_PATHS):
                    risks = ["cron file edit (persistence)"]
            if not risks:
                continue
            ran = not _refused(t) and not failed(t)
            out.append(
                finding(
                    self,
                    view,
                    t.call_entry_id or "",
                    call_entries([t]),
                    f"{risks[0]}: {(t.exec_command or t.arguments.get('path') or '')[:140]}",
                    {
                        "risks": risks,
                        "command": t.exec_command,
                        "tool": t.name,
                        "exitCode": t.exit_code,
                        "failed": failed(t),
                    },
                    FindingSeverity.CRITICAL if ran else FindingSeverity.WARNING,
                    0.9,
                )
            )
        return out


register(Escalation())
register(RiskyCommand())
