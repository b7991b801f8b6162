"""The measures every total carries, and the one shape they take: shared by the totals over raw rows
(`row_totals.py`) and over the roll-up tables (`rollup_totals.py`), which must give the same numbers.

Definitions (stable, documented in the README):
* `sessions` — distinct transcript sessions with activity in the period;
* `llmCalls` — real model calls (assistant messages that are not injected/mirrored copies);
* `errors` — model calls with stop reason `error`;
* `toolCalls` — tool calls the model issued; `toolErrors` — those whose result was an error;
* `tokensIn/Out`, `cacheRead/Write` — sums of OpenClaw's `usage`; `costUSD` — exactly the sum of
  OpenClaw's `usage.cost.total`; `estimatedCostUSD` — our estimate for calls it did not price.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from clawscope.money import usd

Query = tuple[str, dict[str, Any]]  # SQL text and its parameters

TIME_DIMENSIONS = ("day", "hour", "month")
MODEL_KEY_SEP = "\x1f"  # provider and model in one group key


def empty() -> dict[str, Any]:
    """Totals of nothing."""
    return {
        "sessions": 0,
        "messages": 0,
        "llmCalls": 0,
        "toolCalls": 0,
        "toolErrors": 0,
        "tokensIn": 0,
        "tokensOut": 0,
        "cacheRead": 0,
        "cacheWrite": 0,
        "totalTokens": 0,
        "costUSD": 0.0,
        "estimatedCostUSD": 0.0,
        "errors": 0,
        "avgLatencyMs": None,
    }


def fill_llm(d: dict[str, Any], row: Any) -> None:
    """The model-call measures of a row named as `LLM_METRICS` (raw) or `_CALL_METRICS` (roll-ups)."""
    d.update(
        llmCalls=int(row.llm_calls),
        errors=int(row.errors),
        tokensIn=int(row.tokens_in),
        tokensOut=int(row.tokens_out),
        cacheRead=int(row.cache_read),
        cacheWrite=int(row.cache_write),
        totalTokens=int(row.total_tokens),
        costUSD=usd(row.cost),  # sums of nano-dollars, exact; dollars only here
        estimatedCostUSD=usd(row.est_cost),
        avgLatencyMs=round(float(row.latency_sum) / int(row.latency_n), 1) if row.latency_n else None,
    )


def period_totals(conn: Connection, calls: Query, tools: Query | None, entries: Query) -> dict[str, Any]:
    """The totals of a period from three answers: the model-call measures (`fill_llm` names; with
    `tool_calls`, `tool_errors` too when `tools` is None), the tool calls and their errors, and the
    distinct sessions and their messages."""
    out = empty()
    row = conn.execute(text(calls[0]), calls[1]).one()
    fill_llm(out, row)
    if tools is None:
        out["toolCalls"], out["toolErrors"] = int(row.tool_calls), int(row.tool_errors)
    else:
        tool = conn.execute(text(tools[0]), tools[1]).one()
        out["toolCalls"], out["toolErrors"] = int(tool[0]), int(tool[1])
    ent = conn.execute(text(entries[0]), entries[1]).one()
    out["sessions"], out["messages"] = int(ent[0]), int(ent[1])
    return out


def shape_groups(found: dict[str, dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """Groups as the API lists them: `key` (and `provider` for models), time buckets in order, others
    by cost then calls then key. A model's messages are its model calls."""
    if by in ("model", "provider"):
        for d in found.values():
            d["messages"] = d["llmCalls"]
    result = []
    for k, d in found.items():
        if by == "model":
            provider, _, model = k.partition(MODEL_KEY_SEP)
            result.append({"key": model, "provider": provider or None, **d})
        else:
            result.append({"key": k, **d})
    time_dim = by in TIME_DIMENSIONS
    result.sort(key=lambda g: g["key"] if time_dim else (-g["costUSD"], -g["llmCalls"], g["key"]))
    return result
