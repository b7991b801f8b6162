"""What several detector families need to read the same records the same way.

Canonical tool arguments (what makes two calls "the same"), whether a tool call failed (OpenClaw's
exec outcomes are inconsistent: a non-zero exit is `isError:false` with "(Command exited with code N)"),
shell commands split into the simple commands they run (so `grep sudo docs` is not `sudo`), and file
paths classified against the agent's workspace (`read`/`write` accept `~/` and `../`). Pure functions.
"""

from __future__ import annotations

import functools
import posixpath
import re
import shlex
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionView, ToolUse

# ---------------------------------------------------------------- findings


def finding(
    det: Any,
    view: SessionView,
    anchor: str,
    entry_ids: Iterable[str | None],
    message: str,
    evidence: dict[str, Any],
    severity: FindingSeverity,
    confidence: float,
) -> Finding:
    """A finding of detector `det` in `view`; entry ids in transcript order, the anchor first among equals."""
    pos = {e.entry_id: e.pos for e in view.entries}
    ids = sorted({i for i in entry_ids if i} | {anchor}, key=lambda i: (pos.get(i, 1 << 62), i))
    times = [e.ts_ms for e in view.entries if e.entry_id in set(ids) and e.ts_ms is not None]
    return Finding(
        detector=det.id,
        detector_version=det.version,
        family=det.family,
        severity=severity,
        confidence=round(confidence, 2),
        session_id=view.session.session_id,
        anchor_entry_id=anchor,
        entry_ids=tuple(ids),
        message=message.splitlines()[0][:300] if message else "",
        evidence=evidence,
        first_ms=min(times) if times else None,
        last_ms=max(times) if times else None,
    )


def call_entries(tools: Iterable[ToolUse]) -> list[str]:
    """The call and result entry ids of these tool uses."""
    out: list[str] = []
    for t in tools:
        out += [i for i in (t.call_entry_id, t.result_entry_id) if i]
    return out


# ---------------------------------------------------------------- tool calls


def canonical(value: Any) -> str:
    """One string per argument value, whatever its key order or surrounding whitespace."""

    def norm(v: Any) -> Any:
        if isinstance(v, str):
            return v.strip()
        if isinstance(v, dict):
            return {str(k): norm(x) for k, x in sorted(v.items())}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    return msgspec.json.encode(norm(value)).decode()


def call_key(t: ToolUse, ignored: Iterable[str] = ()) -> str:
    """Tool name + canonical arguments, without the `ignored` argument names."""
    drop = set(ignored)
    if drop:
        return t.name + " " + canonical({k: v for k, v in t.arguments.items() if k not in drop})
    hit = _KEYS.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    if len(_KEYS) >= 4096:
        _KEYS.clear()
    key = t.name + " " + canonical(t.arguments)
    _KEYS[id(t)] = (t, key)
    return key


# Whole-argument keys of recently seen tool uses, by identity (loop and tool_abuse key the same calls
# several times). Each holds its tool use, so an id is not reused while it is here.
_KEYS: dict[int, tuple[ToolUse, str]] = {}


_EXIT_RE = re.compile(r"\(Command exited with code (-?\d+)\)")
_STATUS_FAILED = re.compile(r'\s*\{\s*"status"\s*:\s*"(error|failed|forbidden|timeout)"')
_DURATION = re.compile(r"\b\d+(\.\d+)?\s?(ms|s|sec|seconds)\b")
_FAILED_STATUS = {"error", "failed", "forbidden", "timeout", "denied"}


def failed(t: ToolUse) -> bool:
    """Whether a tool call failed, from every trace OpenClaw leaves (not `isError` alone)."""
    if t.status == "error":
        return True
    if t.exit_code not in (None, 0):
        return True
    if t.status == "pending":
        return False
    head = t.output_text[:400]
    if _EXIT_RE.search(t.output_text[-200:]) or head.startswith("Command not found"):
        return True
    return bool(_STATUS_FAILED.match(head))


def normalized_output(t: ToolUse) -> str:
    """The result text with volatile numbers of time and size left out, for "did anything change"."""
    text = _DURATION.sub("<t>", t.output_text)
    return " ".join(text.split())[:4000]


_INTERNAL = (
    "OpenClaw runtime context (internal)",
    "[Inter-session message]",
    "[Subagent Context] Your prior run ended",
    "[Internal task completion event]",
)
_SENDER = re.compile(r"^Sender \(untrusted metadata\):\s*```(json)?.*?```\s*", re.S)
_ENVELOPE = re.compile(r"^\[[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}[^\]]*\]\s*")


_SPEAKER = re.compile(r"^[\w .'-]{1,40}:\s+")
_TAGS = re.compile(r"\[\[[^\]]*\]\]|@\w+")


def is_internal(e: EntryView) -> bool:
    """A user-role entry OpenClaw wrote itself (a sub-agent's completion, an inter-session round)."""
    return e.role == "user" and e.text.lstrip().startswith(_INTERNAL)


def request_text(text: str) -> str:
    """What a user message asks, without OpenClaw's sender block, time envelope, speaker name and tags."""
    t = _ENVELOPE.sub("", _SENDER.sub("", text.strip()))
    t = _SPEAKER.sub("", t)  # "Farah: @claw …" in group chats
    t = _TAGS.sub(" ", t)
    return " ".join(t.lower().split())


def turn_index(view: SessionView) -> dict[str, int]:
    """Each entry's turn: how many real user messages (not OpenClaw's internal ones) precede it."""
    out, n = {}, 0
    for e in view.entries:
        if e.role == "user" and not is_internal(e):
            n += 1
        out[e.entry_id] = n
    return out


MUTATING_TOOLS = frozenset({"write", "edit", "apply_patch", "file_write"})

# ---------------------------------------------------------------- shell commands

_OPS = {";", "&&", "||", "|", "&", "|&", "(", ")", "\n", "{", "}", "`"}
_WRAPPERS = {"nohup", "time", "command", "exec", "nice", "stdbuf", "timeout", "env", "builtin"}
ESCALATORS = frozenset({"sudo", "su", "doas", "pkexec", "run0"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "ash"})
INTERPRETERS = SHELLS | {"python", "python3", "python2", "perl", "ruby", "node", "php", "source", "."}


def _tokens(command: str) -> list[str]:
    # the same exec command is split by several detectors (elevated_risk, sandbox_escape twice)
    return list(_lexed(command) if len(command) <= 4096 else _lex(command))


@functools.lru_cache(maxsize=2048)
def _lexed(command: str) -> tuple[str, ...]:
    return tuple(_lex(command))


def _lex(command: str) -> list[str]:
    lex = shlex.shlex(
        command.replace("$(", " ( ").replace("<(", " ( "), posix=True, punctuation_chars=";&|()"
    )
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError:  # an unbalanced quote: fall back to plain words
        return command.split()


def pipelines(command: str) -> list[list[list[str]]]:
    """The command's pipelines, each a list of simple commands (argv, redirections kept as words).

    Sub-shells and command substitutions are flattened into the pipeline they stand in; leading
    variable assignments and wrappers (`nohup`, `env`, `timeout 5`, …) are dropped, `sudo` is kept.
    """
    out: list[list[list[str]]] = [[[]]]
    for tok in _tokens(command):
        if tok in ("|", "|&"):
            out[-1].append([])
        elif tok in _OPS or (set(tok) <= set(";&|()") and tok):
            out.append([[]])
        else:
            out[-1][-1].append(tok)
    cleaned = []
    for pipe in out:
        cmds = [_strip_prefix(c) for c in pipe]
        cmds = [c for c in cmds if c]
        if cmds:
            cleaned.append(cmds)
    return cleaned


_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DURATION_ARG = re.compile(r"^\d+[smhd]?$")


def _strip_prefix(argv: list[str]) -> list[str]:
    i = 0
    while i < len(argv):
        w = argv[i]
        if _ASSIGNMENT.match(w):
            i += 1
        elif posixpath.basename(w) in _WRAPPERS:
            i += 1
            while i < len(argv) and (argv[i].startswith("-") or _DURATION_ARG.match(argv[i])):
                i += 1
        else:
            break
    return argv[i:]


def simple_commands(command: str) -> list[list[str]]:
    """Every simple command of a shell line, escalators split off (`sudo rm -rf /x` → sudo…, rm…)."""
    out = []
    for pipe in pipelines(command):
        for argv in pipe:
            out.append(argv)
            if program(argv) in SHELLS and "-c" in argv[1:-1]:
                out += simple_commands(argv[argv.index("-c") + 1])
            rest = argv
            while rest and posixpath.basename(rest[0]) in ESCALATORS:
                j = 1
                while j < len(rest) and rest[j].startswith("-"):
                    j += 2 if rest[j] in ("-u", "-g", "-C", "-p") else 1
                rest = _strip_prefix(rest[j:])
                if rest:
                    out.append(rest)
    return out


def program(argv: Sequence[str]) -> str:
    return posixpath.basename(argv[0]) if argv else ""


def flags(argv: Sequence[str]) -> set[str]:
    """Single-letter flags (`-rf` → r, f) and long flags (`--force`) of a simple command."""
    out: set[str] = set()
    for w in argv[1:]:
        if w.startswith("--"):
            out.add(w.split("=", 1)[0])
        elif w.startswith("-") and len(w) > 1 and not w[1].isdigit():
            out.update(w[1:])
    return out


def operands(argv: Sequence[str]) -> list[str]:
    return [w for w in argv[1:] if not w.startswith("-")]


# ---------------------------------------------------------------- paths


def home_of(view: SessionView, params: dict[str, Any]) -> str | None:
    """The agent's home directory: configured, or the one its OpenClaw workspace sits in."""
    if params.get("home"):
        return str(params["home"]).rstrip("/")
    for root in workspace_roots(view, {}):
        if "/.openclaw" in root:
            return root.split("/.openclaw", 1)[0]
    return None


def workspace_roots(view: SessionView, params: dict[str, Any]) -> list[str]:
    """The session's workspace (its transcript's cwd) and any configured extra roots, normalized."""
    roots = [view.session.cwd] if view.session.cwd else []
    roots += [str(r) for r in params.get("workspace_roots", [])]
    return [posixpath.normpath(r) for r in roots if r]


def resolve(path: str, cwd: str | None, home: str | None) -> str | None:
    """An absolute normalized path, or None when it cannot be known (a `~` with no known home)."""
    p = path.strip().strip("'\"")
    for prefix in ("$HOME", "${HOME}"):
        if p == prefix or p.startswith(prefix + "/"):
            p = "~" + p[len(prefix) :]
    if p == "~" or p.startswith("~/"):
        if home is None:
            return None
        p = home + p[1:]
    elif not p.startswith("/"):
        if cwd is None:
            return None
        p = posixpath.join(cwd, p)
    return posixpath.normpath(p)


def inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


# credentials and keys wherever they are (relative to home when written with ~)
SENSITIVE_HOME = (
    ".ssh/",
    ".aws/",
    ".gnupg/",
    ".kube/",
    ".docker/config.json",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".config/gcloud/",
    ".azure/",
    ".password-store/",
    ".openclaw/",
)
SENSITIVE_NAMES = re.compile(
    r"(^|/)(id_(rsa|dsa|ecdsa|ed25519)(\.pub)?|\.env(\.[a-z]+)?|credentials(\.json)?|"
    r"[^/]*\.(pem|key|p12|pfx|kdbx)|shadow|gshadow|sudoers)$"
)
SYSTEM_PREFIXES = (
    "/etc",
    "/root",
    "/boot",
    "/proc",
    "/sys",
    "/dev",
    "/var/lib",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/opt",
    "/srv",
    "/var",
)


def classify(path: str, home: str | None) -> str:
    """ "sensitive" (keys, credentials, OpenClaw's own state), "system" (/etc, /usr, …) or "other"."""
    if home and (path + "/").startswith(home + "/"):
        rel = path[len(home) + 1 :]
        # OpenClaw's own state is sensitive; the agents' workspaces inside it are not
        hit = any(rel == s.rstrip("/") or rel.startswith(s) for s in SENSITIVE_HOME)
        if hit and not rel.startswith(".openclaw/workspace"):
            return "sensitive"
    if SENSITIVE_NAMES.search(path) or path.startswith(("/etc/shadow", "/etc/sudoers", "/root/")):
        return "sensitive"
    if path == "/" or any(path == p or path.startswith(p + "/") for p in SYSTEM_PREFIXES):
        return "system"
    return "other"


def looks_like_path(word: str) -> bool:
    w = word.strip("'\"")
    return bool(w) and (w.startswith(("/", "~", "$HOME", "${HOME}", "../")) or w == "..") and "://" not in w
