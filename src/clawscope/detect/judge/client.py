"""One call to the judge's OpenAI-compatible endpoint (`POST {base_url}/chat/completions`).

Structured output is asked for with `response_format` `json_schema` (OpenAI, vLLM and Ollama accept
it); the answer's text and its `usage` come back, or a `JudgeError` saying what went wrong (timeout,
HTTP status, malformed body) without the key or the content in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from clawscope.detect.judge.config import JudgeConfig
from clawscope.detect.judge.prompts import SCHEMA


@dataclass(frozen=True)
class Answer:
    text: str
    input_tokens: int
    output_tokens: int


class JudgeError(Exception):
    def __init__(self, kind: str, note: str) -> None:
        super().__init__(note)
        self.kind = kind  # "timeout" | "error"
        self.note = note


def ask(cfg: JudgeConfig, messages: list[dict[str, str]], client: httpx.Client) -> Answer:
    body: dict[str, Any] = {
        "model": cfg.model,
        "messages": messages,
        "temperature": 0,
        "max_tokens": cfg.max_output_tokens,
        "stream": False,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "verdict", "strict": True, "schema": SCHEMA},
        },
    }
    headers = {"authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}
    try:
        r = client.post(f"{cfg.base_url}/chat/completions", json=body, headers=headers)
    except httpx.TimeoutException:
        raise JudgeError("timeout", f"no answer from {cfg.host} within {cfg.timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise JudgeError("error", f"{cfg.host} unreachable: {exc.__class__.__name__}") from None
    if r.status_code != 200:
        raise JudgeError("error", f"{cfg.host} answered HTTP {r.status_code}")
    try:
        data = r.json()
        text = data["choices"][0]["message"]["content"]
        usage = data.get("usage") or {}
        return Answer(
            str(text or ""), int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        )
    except (ValueError, KeyError, IndexError, TypeError):
        raise JudgeError("error", f"{cfg.host} sent a body that is not a chat completion") from None
