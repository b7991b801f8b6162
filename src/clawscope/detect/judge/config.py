"""The judge's settings, from the `judge` table of the config file (or `CLAWSCOPE_JUDGE` as JSON):

    [judge]
    base_url = "http://127.0.0.1:11434/v1"   # an OpenAI-compatible endpoint; unset = no judge
    model = "qwen2.5:7b-instruct"
    api_key_env = "CLAWSCOPE_JUDGE_API_KEY"  # the key is read from this environment variable, never stored
    timeout_s = 30
    concurrency = 2                          # calls in flight at once
    daily_cap_usd = 1.0                      # no call once the day's judge spend would pass it
    input_usd_per_mtok = 0.0                 # the judge's own prices (a local model costs nothing)
    output_usd_per_mtok = 0.0
    uncertain_below = 0.7                    # offline findings under this confidence are judged
    max_chars = 12000                        # of session content sent per call

The CLI reads the key from the environment and passes it in (library code never reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from clawscope.errors import ConfigError

DEFAULT_KEY_ENV = "CLAWSCOPE_JUDGE_API_KEY"


@dataclass(frozen=True)
class JudgeConfig:
    base_url: str
    model: str
    api_key: str = ""
    api_key_env: str = DEFAULT_KEY_ENV
    timeout_s: float = 30.0
    concurrency: int = 2
    daily_cap_usd: float = 1.0
    input_usd_per_mtok: float = 0.0
    output_usd_per_mtok: float = 0.0
    uncertain_below: float = 0.7
    max_chars: int = 12000
    max_output_tokens: int = 400

    @property
    def host(self) -> str:
        """Where verdicts are asked (shown on the dashboard; never the key)."""
        return urlsplit(self.base_url).netloc

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_usd_per_mtok + output_tokens * self.output_usd_per_mtok) / 1e6


def judge_config(table: Mapping[str, Any], env: Mapping[str, str]) -> JudgeConfig | None:
    """The judge's config, or None when it is not configured. `ConfigError` for a malformed table."""
    if not table or not table.get("base_url") or not table.get("model"):
        if table and (table.get("base_url") or table.get("model")):
            raise ConfigError("judge: set both base_url and model (or neither)")
        return None
    known = set(JudgeConfig.__dataclass_fields__) - {"api_key"}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"judge: unknown setting(s) {', '.join(sorted(unknown))}")
    url = str(table["base_url"]).rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ConfigError(f"judge.base_url {url!r} is not an http(s) URL")
    key_env = str(table.get("api_key_env") or DEFAULT_KEY_ENV)
    try:
        cfg = JudgeConfig(
            base_url=url,
            model=str(table["model"]),
            api_key=env.get(key_env, ""),
            api_key_env=key_env,
            timeout_s=float(table.get("timeout_s", 30.0)),
            concurrency=int(table.get("concurrency", 2)),
            daily_cap_usd=float(table.get("daily_cap_usd", 1.0)),
            input_usd_per_mtok=float(table.get("input_usd_per_mtok", 0.0)),
            output_usd_per_mtok=float(table.get("output_usd_per_mtok", 0.0)),
            uncertain_below=float(table.get("uncertain_below", 0.7)),
            max_chars=int(table.get("max_chars", 12000)),
            max_output_tokens=int(table.get("max_output_tokens", 400)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"judge: {exc}") from None
    if cfg.concurrency < 1 or cfg.timeout_s <= 0 or cfg.daily_cap_usd < 0 or cfg.max_chars < 500:
        raise ConfigError("judge: concurrency ≥ 1, timeout_s > 0, daily_cap_usd ≥ 0, max_chars ≥ 500")
    return cfg
