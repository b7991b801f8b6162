"""`sandbox_escape.tool-policy`: tools, and code execution above all, used beyond what the agent's
configured tool policy allows.

The policy is the agent's `openclaw.json` one (`SessionView.tool_policy`: profile, `alsoAllow`, the
global, agent, sandbox and sub-agent allow/deny layers, `tools.exec.security`), evaluated the way
OpenClaw documents it (docs/gateway/config-tools/tool-policy.md): deny wins, each layer can only
restrict, names are case-insensitive, `*` globs and `group:*` shorthands expand. A call that OpenClaw
blocked (it failed) is an attempt (warning); one that ran is critical when it executes code (`exec`,
`process`, `code_execution`, `bash`), else a warning. No policy configured: nothing to check. The
config is the state dir's current one: a session older than a policy change is checked against the
new policy (the finding says which layer refused the tool).
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.common import call_entries, failed, finding
from clawscope.model.detection import Finding, FindingSeverity, PolicyLayer, SessionView, ToolPolicy, ToolUse

# OpenClaw 2026.9's tool groups and profiles (docs/gateway/config-tools/tool-policy.md).
GROUPS: dict[str, frozenset[str]] = {
    "group:runtime": frozenset({"exec", "process", "code_execution", "bash"}),
    "group:fs": frozenset({"read", "write", "edit", "apply_patch"}),
    "group:sessions": frozenset(
        {
            "sessions",
            "sessions_list",
            "sessions_history",
            "sessions_search",
            "conversations_list",
            "conversations_send",
            "conversations_turn",
            "sessions_send",
            "sessions_spawn",
            "sessions_yield",
            "subagents",
            "session_status",
            "suggest_task",
            "dismiss_task",
        }
    ),
    "group:memory": frozenset({"memory_search", "memory_get"}),
    "group:web": frozenset({"web_search", "x_search", "web_fetch"}),
    "group:ui": frozenset(
        {"browser", "screen", "theme", "dashboard", "terminal", "portal", "canvas", "show_widget"}
    ),
    "group:automation": frozenset(
        {"heartbeat_respond", "automations", "cron", "gateway", "plugins", "openclaw"}
    ),
    "group:messaging": frozenset({"message"}),
    "group:nodes": frozenset({"nodes", "computer"}),
    "group:agents": frozenset(
        {
            "agents_list",
            "get_goal",
            "create_goal",
            "update_goal",
            "progress_card",
            "ask_user",
            "skill_workshop",
        }
    ),
    "group:media": frozenset(
        {"view_image", "image_generate", "music_generate", "video_generate", "tts", "pdf"}
    ),
}
_NOT_OPENCLAW = {
    "read",
    "write",
    "edit",
    "apply_patch",
    "exec",
    "process",
    "canvas",
    "bash",
    "code_execution",
}
GROUPS["group:openclaw"] = frozenset().union(*GROUPS.values()) - _NOT_OPENCLAW
PROFILES: dict[str, tuple[str, ...]] = {
    "minimal": ("session_status", "gateway"),
    "coding": (
        "group:fs", "group:runtime", "group:web", "group:sessions", "group:memory", "cron", "gateway",
        "get_goal", "create_goal", "update_goal", "progress_card", "ask_user", "skill_workshop",
        "view_image", "image_generate", "music_generate", "video_generate", "theme",
    ),
    "messaging": (
        "group:messaging", "sessions", "sessions_list", "sessions_history", "sessions_search",
        "conversations_list", "conversations_send", "conversations_turn", "sessions_send", "sessions_spawn",
        "sessions_yield", "subagents", "session_status", "gateway", "ask_user", "theme",
    ),
}  # fmt: skip
CODE_TOOLS = frozenset({"exec", "process", "code_execution", "bash"})
# Plumbing OpenClaw offers to every run whatever the policy (Tool Search's wrapper and lookups).
ALWAYS = frozenset({"tool_call", "tool_search", "tool_describe", "sessions_yield"})


def matches(patterns: Iterable[str], tool: str) -> bool:
    """Whether a tool name matches any pattern (names, `*` globs, `group:*`; `bash` is `exec`)."""
    names = {tool, "exec"} if tool == "bash" else {tool}
    for p in patterns:
        group = GROUPS.get(p)
        if (group is not None and names & group) or any(fnmatchcase(n, p) for n in names):
            return True
    return False


def refusal(policy: ToolPolicy, tool: str, *, sandboxed: bool, subagent: bool) -> str | None:
    """Which part of the policy refuses this tool (None: allowed)."""
    tool = tool.lower()
    if tool in ALWAYS:
        return None
    if tool in ("exec", "bash") and policy.exec_security == "deny":
        return "tools.exec.security=deny"
    profile = PROFILES.get(policy.profile or "")
    if profile is not None and not matches((*profile, *policy.also_allow), tool):
        return f"tools.profile={policy.profile}"
    for layer in policy.layers:
        if (layer.applies == "sandboxed" and not sandboxed) or (layer.applies == "subagent" and not subagent):
            continue
        if refused_by(layer, tool):
            return layer.source + (".deny" if matches(layer.deny, tool) else ".allow")
    return None


def refused_by(layer: PolicyLayer, tool: str) -> bool:
    return matches(layer.deny, tool) or (layer.allow is not None and not matches(layer.allow, tool))


def _sandboxed(view: SessionView) -> bool:
    mode = view.tool_policy.sandbox_mode
    key = view.session.key or ""
    return mode == "all" or (mode == "non-main" and not key.endswith(":main"))


class ToolPolicyBreach:
    id: ClassVar[str] = "sandbox_escape.tool-policy"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "sandbox_escape"
    defaults: ClassVar[dict[str, Any]] = {"code_tools": sorted(CODE_TOOLS)}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        policy = view.tool_policy
        if not policy.configured or not view.tools:
            return []
        code = {str(t).lower() for t in params.get("code_tools", self.defaults["code_tools"])}
        sandboxed = _sandboxed(view)
        subagent = ":subagent:" in (view.session.key or "") or bool(view.ancestors)
        beyond: dict[str, list[tuple[ToolUse, str]]] = {}
        for t in view.tools:
            why = refusal(policy, t.name, sandboxed=sandboxed, subagent=subagent)
            if why is not None and t.status != "pending":
                beyond.setdefault(t.name.lower(), []).append((t, why))
        out = []
        for name, uses in beyond.items():
            ran = [t for t, _ in uses if not failed(t)]
            first = (ran or [t for t, _ in uses])[0]
            severe = bool(ran) and name in code
            what = "code execution" if name in code else "tool"
            verb = "ran" if ran else "was attempted"
            out.append(
                finding(
                    self,
                    view,
                    first.call_entry_id or first.result_entry_id or "",
                    call_entries(t for t, _ in uses),
                    f"{what} `{name}` {verb} {len(uses)}× although the agent's tool policy refuses it "
                    f"({uses[0][1]})",
                    {
                        "tool": name,
                        "calls": len(uses),
                        "ran": len(ran),
                        "refusedBy": uses[0][1],
                        "profile": policy.profile,
                        "sandboxed": sandboxed,
                        "commands": [t.exec_command for t, _ in uses if t.exec_command][:3],
                    },
                    FindingSeverity.CRITICAL if severe else FindingSeverity.WARNING,
                    0.9 if ran else 0.7,
                )
            )
        return out


register(ToolPolicyBreach())
