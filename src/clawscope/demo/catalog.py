"""What the demo's agents run on: models with their list prices, agent profiles, and the tool sets.

Prices are USD per million tokens (input, output, cacheRead, cacheWrite), as OpenClaw's model
catalog holds them; OpenClaw multiplies them into each call's `usage.cost` (format doc §2.6). They
mirror the providers' public list prices of 2025/2026; the local Ollama model costs nothing, like a
real local model does. Tool names are the ones each release offered to the model (format doc §5).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Model:
    """A model as OpenClaw's catalog describes it."""

    provider: str
    id: str
    api: str
    prices: tuple[float, float, float, float]  # input, output, cacheRead, cacheWrite per Mtok
    context_window: int
    cache: str  # "anthropic" (explicit breakpoints), "prefix" (automatic), "none"
    reasoning: bool

    @property
    def ref(self) -> str:
        return f"{self.provider}/{self.id}"


SONNET = Model(
    "anthropic", "claude-sonnet-4-5", "anthropic-messages", (3.0, 15.0, 0.3, 3.75), 200_000, "anthropic", True
)
HAIKU = Model(
    "anthropic", "claude-haiku-4-5", "anthropic-messages", (1.0, 5.0, 0.1, 1.25), 200_000, "anthropic", True
)
GPT5 = Model("openai", "gpt-5", "openai-responses", (1.25, 10.0, 0.125, 0.0), 400_000, "prefix", True)
GPT5_MINI = Model(
    "openai", "gpt-5-mini", "openai-responses", (0.25, 2.0, 0.025, 0.0), 400_000, "prefix", True
)
GPT4O_MINI = Model(
    "openai", "gpt-4o-mini", "openai-responses", (0.15, 0.6, 0.075, 0.0), 128_000, "prefix", False
)
GEMINI_FLASH = Model(
    "google", "gemini-2.5-flash", "google-generative-ai", (0.3, 2.5, 0.03, 0.0), 1_048_576, "prefix", True
)
OLLAMA = Model("ollama", "qwen3:14b", "ollama", (0.0, 0.0, 0.0, 0.0), 40_960, "none", False)

MODELS: tuple[Model, ...] = (SONNET, HAIKU, GPT5, GPT5_MINI, GPT4O_MINI, GEMINI_FLASH, OLLAMA)


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """A configured agent: its id, its primary model, what it switches to, what its helpers use."""

    agent_id: str
    primary: Model
    switch_to: Model  # the model a `/model` command picks mid-session
    cron_model: Model  # cheap model cron jobs pin in their payload
    subagent_model: Model
    channel: str  # the chat channel its group sessions come from
    system_tokens: int  # system prompt + tool schemas, in tokens
    tz_offset_h: int  # the owner's time zone, for the daily rhythm


PROFILES: tuple[AgentProfile, ...] = (
    AgentProfile("main", SONNET, GPT5, GPT4O_MINI, GEMINI_FLASH, "telegram", 11_800, 1),
    AgentProfile("work", GPT5, SONNET, GPT5_MINI, GPT5_MINI, "slack", 14_200, -5),
    AgentProfile("research", GEMINI_FLASH, SONNET, OLLAMA, HAIKU, "discord", 9_600, 0),
    AgentProfile("homelab", OLLAMA, GPT4O_MINI, OLLAMA, OLLAMA, "whatsapp", 6_400, 2),
    AgentProfile("family", HAIKU, SONNET, GPT4O_MINI, HAIKU, "telegram", 8_900, 1),
)


def profile(index: int) -> AgentProfile:
    """The profile of the index-th agent; agents beyond the named ones reuse profiles under new ids."""
    base = PROFILES[index % len(PROFILES)]
    if index < len(PROFILES):
        return base
    return AgentProfile(
        f"agent{index + 1}",
        base.primary,
        base.switch_to,
        base.cron_model,
        base.subagent_model,
        base.channel,
        base.system_tokens,
        base.tz_offset_h,
    )


# -- tools --------------------------------------------------------------------------------------

# 2026.3.24 offered every tool directly (format doc §5).
TOOLS_V3: tuple[str, ...] = (
    "read",
    "edit",
    "write",
    "exec",
    "process",
    "browser",
    "canvas",
    "nodes",
    "cron",
    "message",
    "tts",
    "gateway",
    "agents_list",
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_yield",
    "sessions_spawn",
    "subagents",
    "session_status",
    "web_search",
    "web_fetch",
    "memory_search",
    "memory_get",
)
# 2026.9.6 offers a dozen tools directly; the rest go through the Tool Search wrapper `tool_call`.
DIRECT_V4: frozenset[str] = frozenset(
    {
        "apply_patch",
        "edit",
        "exec",
        "ls",
        "openclaw",
        "process",
        "read",
        "sessions_yield",
        "tool_call",
        "tool_describe",
        "tool_search",
        "write",
    }
)

# How often a model reaches for each tool in ordinary work (weights), per era.
WORK_TOOLS_V3: tuple[tuple[str, int], ...] = (
    ("exec", 30),
    ("read", 22),
    ("web_search", 12),
    ("web_fetch", 9),
    ("edit", 8),
    ("write", 5),
    ("memory_search", 6),
    ("memory_get", 3),
    ("message", 3),
    ("browser", 2),
    ("process", 2),
    ("sessions_list", 1),
    ("session_status", 1),
    ("cron", 1),
)
WORK_TOOLS_V4: tuple[tuple[str, int], ...] = (
    ("exec", 30),
    ("read", 22),
    ("web_search", 12),
    ("web_fetch", 9),
    ("edit", 6),
    ("apply_patch", 3),
    ("write", 4),
    ("ls", 3),
    ("memory_search", 6),
    ("memory_get", 3),
    ("message", 3),
    ("browser", 2),
    ("process", 2),
    ("tool_search", 3),
    ("sessions_list", 1),
    ("automations", 1),
)

# Labels OpenClaw 2026.9.6 shows in the wrapper's `details.tool` (observed: sessions_spawn → "Sessions").
TOOL_LABELS: dict[str, str] = {
    "sessions_spawn": "Sessions",
    "sessions_list": "Sessions",
    "web_search": "Web Search",
    "web_fetch": "Web Fetch",
    "memory_search": "Memory Search",
    "memory_get": "Memory Get",
    "message": "Message",
    "browser": "Browser",
    "automations": "Automations",
}
