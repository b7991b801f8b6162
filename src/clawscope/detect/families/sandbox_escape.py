"""`sandbox_escape`: an agent reaching past its workspace, or sending local data out.

* `sandbox_escape.outside-workspace` — file tools (`read`, `write`, `edit`, …) on credentials, keys,
  OpenClaw's own state or system paths, or escaping the workspace with `..` (OpenClaw's `read`/`write`
  accept `~/` and `../` and reach the whole home; the user's own documents outside the workspace are
  reported only with `flag_outside_paths`), shell commands that read credentials, keys or `/etc`,
  and database clients opened on OpenClaw's own store or on database files outside the workspace.
  A `~/` path that lands inside the workspace, a `.env.example` in it, `cat` of a workspace file are
  fine.
* `sandbox_escape.exfiltration` — local data sent to a host outside `allowed_hosts`: uploads
  (`curl -d @file`, `-F x=@file`, `-T`, `wget --post-file`), copies (`scp`, `rsync`, `sftp`), and
  requests whose URL carries secrets or values the session read from local files. A plain download
  or GET that sends nothing local is not an escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from clawscope.detect.base import register
from clawscope.detect.common import (
    call_entries,
    classify,
    finding,
    home_of,
    inside,
    looks_like_path,
    operands,
    program,
    resolve,
    simple_commands,
    workspace_roots,
)
from clawscope.model.detection import Finding, FindingSeverity, SessionView, ToolUse

FILE_TOOLS = {
    "read": "read", "write": "write", "edit": "edit", "apply_patch": "edit", "ls": "list",
    "file_fetch": "read", "file_write": "write", "dir_list": "list", "dir_fetch": "read",
}  # fmt: skip
READERS = frozenset(
    [
        "cat",
        "head",
        "tail",
        "less",
        "more",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "awk",
        "sed",
        "cut",
        "sort",
        "uniq",
        "diff",
        "cp",
        "scp",
        "rsync",
        "base64",
        "xxd",
        "od",
        "strings",
        "tar",
        "zip",
        "gzip",
        "openssl",
        "jq",
        "source",
        ".",
        "tac",
        "nl",
        "wc",
        "file",
        "stat",
    ]
)
_PATHISH = re.compile(r"(^|[\s=@'\"])(/|~|\$\{?HOME|\.\.)|sqlite|psql|mysql|mariadb|mongo|redis-cli")
DB_CLIENTS = frozenset({"sqlite3", "sqlite", "psql", "mysql", "mariadb", "mongosh", "mongo", "redis-cli"})


def _tool_path(t: ToolUse) -> str | None:
    for k in ("path", "file_path", "filePath", "file", "dir", "directory"):
        v = t.arguments.get(k)
        if isinstance(v, str) and v.strip():
            return v
    return None


class OutsideWorkspace:
    id: ClassVar[str] = "sandbox_escape.outside-workspace"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "sandbox_escape"
    defaults: ClassVar[dict[str, Any]] = {
        "workspace_roots": [],
        "allowed_roots": ["/tmp"],
        "home": None,
        "flag_outside_paths": False,  # True: any file-tool path outside the workspace, not just sensitive
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        roots = workspace_roots(view, p)  # none known: credentials and system paths are still outside
        allowed = roots + [str(r) for r in p["allowed_roots"]]
        home = home_of(view, p)
        cwd = view.session.cwd
        out = []
        for t in view.tools:
            hits: list[tuple[str, str, str]] = []  # (path as written, resolved, class)
            if t.name in FILE_TOOLS and (raw := _tool_path(t)):
                target = resolve(raw, cwd, home)
                if target is not None and not inside(target, allowed):
                    cls = classify(target, home)
                    # OpenClaw's read/write reach the whole home by design: the user's own documents
                    # are an assistant's work; credentials, system paths and `..` escapes are not
                    if cls != "other" or ".." in raw.split("/") or p["flag_outside_paths"]:
                        hits.append((raw, target, cls))
                elif (
                    target is None and raw.startswith("~/") and classify("/~" + raw[1:], "/~") == "sensitive"
                ):
                    hits.append((raw, raw, "sensitive"))  # home unknown, but ~/.ssh is never a workspace
            elif t.name in ("exec", "bash") and t.exec_command:
                hits = self._exec_hits(t.exec_command, cwd, home, allowed)
            if not hits:
                continue
            raw, target, cls = hits[0]
            how = FILE_TOOLS.get(t.name, "shell")
            what = {"sensitive": "credentials/keys or agent state", "system": "a system path"}.get(
                cls, "a path"
            )
            kind = "database" if cls == "database" else ("dotdot" if ".." in raw else cls)
            out.append(
                finding(
                    self,
                    view,
                    t.call_entry_id or "",
                    call_entries([t]),
                    f"{t.name} reaches outside the workspace ({what}): {raw[:120]}"
                    if cls != "database"
                    else f"database opened outside the session's own data: {raw[:120]}",
                    {
                        "tool": t.name,
                        "access": how,
                        "path": raw,
                        "resolved": target,
                        "class": cls,
                        "subcase": kind,
                        "workspace": roots[0] if roots else None,
                        "command": t.exec_command,
                        "failed": t.status == "error",
                    },
                    FindingSeverity.CRITICAL if cls in ("sensitive", "database") else FindingSeverity.WARNING,
                    0.9 if cls != "other" else 0.7,
                )
            )
        return out

    @staticmethod
    def _exec_hits(
        command: str, cwd: str | None, home: str | None, allowed: list[str]
    ) -> list[tuple[str, str, str]]:
        hits: list[tuple[str, str, str]] = []
        if not _PATHISH.search(command):  # no path outside the working directory, no database client
            return hits
        for argv in simple_commands(command):
            n = program(argv)
            if n in DB_CLIENTS:
                for o in operands(argv):
                    if looks_like_path(o) or o.endswith((".sqlite", ".db", ".sqlite3")):
                        target = resolve(o, cwd, home) or o
                        if not inside(target, allowed) or (
                            "/.openclaw/" in target and "/workspace" not in target
                        ):
                            hits.append((o, target, "database"))
            elif n in READERS:
                for o in operands(argv):
                    word = o.split("=", 1)[-1].lstrip("@")
                    if not looks_like_path(word):
                        continue
                    path = resolve(word, cwd, home)
                    if (
                        path is None
                        and word.startswith("~/")
                        and classify("/~" + word[1:], "/~") == "sensitive"
                    ):
                        hits.append(
                            (word, word, "sensitive")
                        )  # home unknown, but ~/.ssh is never a workspace
                        continue
                    if path is None or inside(path, allowed):
                        continue
                    cls = classify(path, home)
                    if cls == "sensitive" or path.startswith("/etc/"):
                        hits.append((word, path, "sensitive" if cls == "sensitive" else "system"))
        return hits


_SECRETISH = re.compile(
    r"(://[^/\s:@]+:[^/\s@]+@|\bsk_(live|test)_|\bsk-[A-Za-z0-9]{8,}|\bAKIA[0-9A-Z]{8,}|\bgh[pousr]_[A-Za-z0-9]{8,}|"
    r"\bxox[abpr]-|-----BEGIN|\*\*\*|\u2026)"
)
_SECRET_KEYS = re.compile(
    r"^(key|api[_-]?key|token|secret|password|passwd|pwd|auth|credentials?|db|dsn|private[_-]?key)$", re.I
)
_URL = re.compile(r"https?://[^\s'\"<>]+")
_NETWORK = re.compile(r"\b(curl|wget|http|xh|scp|rsync|sftp|nc|ncat|netcat)\b")
UPLOAD_FLAGS = {
    "-d",
    "--data",
    "--data-binary",
    "--data-raw",
    "--data-urlencode",
    "-F",
    "--form",
    "-T",
    "--upload-file",
}


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _local_values(view: SessionView, before: int) -> set[str]:
    """Values (≥ 8 characters) the session read from local files before tool use `before`."""
    vals: set[str] = set()
    for t in view.tools[:before]:
        if t.name in ("read", "exec", "bash") and t.status != "error":
            for m in re.finditer(r"=\s*([^\s'\"]{8,})", t.output_text[:20000]):
                vals.add(m.group(1))
    return vals


_VALUED = frozenset({"-o", "-i", "-P", "-p", "-F", "-e", "-c", "-l", "-S", "-J", "--rsh", "--port"})


def _copy_operands(argv: list[str]) -> list[str]:
    """scp/rsync operands, without the values of options that take one (`-o ConnectTimeout=2`)."""
    out, skip = [], False
    for w in argv[1:]:
        if skip:
            skip = False
        elif w in _VALUED:
            skip = True
        elif not w.startswith("-"):
            out.append(w)
    return out


class Exfiltration:
    id: ClassVar[str] = "sandbox_escape.exfiltration"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "sandbox_escape"
    defaults: ClassVar[dict[str, Any]] = {"allowed_hosts": ["localhost", "127.0.0.1", "::1"], "home": None}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        allowed_hosts = {str(h).lower() for h in p["allowed_hosts"]}
        out = []
        for i, t in enumerate(view.tools):
            sent: list[tuple[str, str]] = []  # (how, where)
            urls: list[str] = []
            if t.name in ("web_fetch", "browser") and isinstance(t.arguments.get("url"), str):
                urls = [t.arguments["url"]]
            elif t.name in ("exec", "bash") and t.exec_command and _NETWORK.search(t.exec_command):
                for argv in simple_commands(t.exec_command):
                    sent += self._uploads(argv)
                    if program(argv) in ("curl", "wget", "http", "xh"):
                        urls += [u for w in argv[1:] for u in _URL.findall(w)]
            local = _local_values(view, i) if urls else set()
            for u in urls:
                if _host(u) in allowed_hosts or not _host(u):
                    continue
                carried = self._carried(u, local)
                if carried:
                    sent.append((f"secrets in the URL ({', '.join(carried)})", u))
            sent = [
                (h, w) for h, w in sent if _host(w) not in allowed_hosts and not w.startswith("localhost")
            ]
            if not sent:
                continue
            how, where = sent[0]
            out.append(
                finding(
                    self,
                    view,
                    t.call_entry_id or "",
                    call_entries([t]),
                    f"local data sent out: {how} to {where[:100]}",
                    {
                        "tool": t.name,
                        "how": how,
                        "destination": where,
                        "command": t.exec_command,
                        "url": t.arguments.get("url"),
                        "failed": t.status == "error",
                    },
                    FindingSeverity.CRITICAL,
                    0.85,
                )
            )
        return out

    @staticmethod
    def _uploads(argv: list[str]) -> list[tuple[str, str]]:
        n = program(argv)
        out: list[tuple[str, str]] = []
        if n == "curl":
            url = next((u for w in argv[1:] for u in _URL.findall(w)), "")
            for j, w in enumerate(argv[:-1]):
                val = argv[j + 1]
                if w in UPLOAD_FLAGS and ("@" in val or w in ("-T", "--upload-file")):
                    out.append((f"upload of {val.split('@', 1)[-1]} ({w})", url))
        elif n == "wget" and any(w.startswith(("--post-file", "--body-file")) for w in argv):
            out.append(
                ("upload (wget --post-file)", next((u for w in argv[1:] for u in _URL.findall(w)), ""))
            )
        elif n in ("scp", "rsync", "sftp"):
            ops = _copy_operands(argv)
            remote = [o for o in ops[1:] if re.match(r"^([^/@\s]+@)?[^/\s:]+:", o) and "://" not in o]
            if remote and ops and not re.match(r"^([^/@\s]+@)?[^/\s:]+:", ops[0]):
                host = remote[-1].split(":", 1)[0].split("@")[-1]
                out.append((f"copy of {ops[0]} ({n})", f"ssh://{host}"))
        elif n in ("nc", "ncat", "netcat") and "<" in argv:
            out.append(("raw upload (netcat)", f"tcp://{operands(argv)[0] if operands(argv) else ''}"))
        return out

    @staticmethod
    def _carried(url: str, local: set[str]) -> list[str]:
        try:
            query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        except ValueError:
            return []
        out = []
        for k, v in query:
            value = unquote(v)
            if (
                _SECRETISH.search(value)
                or (_SECRET_KEYS.match(k) and len(value) >= 6 and value in local)
                or (len(value) >= 8 and any(value in x or x in value for x in local if len(x) >= 8))
            ):
                out.append(k)
        return out


register(OutsideWorkspace())
register(Exfiltration())
