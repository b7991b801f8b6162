"""Totals, groups, session rows and problems as plain dicts shaped for JSON (`clawscope stats --json`).

Totals and groups come from the exact roll-up tables when the period is hour-aligned (always so for
dates and for no period at all), and from the raw rows otherwise: both give the same numbers.
"""

from __future__ import annotations

from typing import Any

from clawscope.analytics.metrics import cache_hit_rate, percentile, tokens_per_dollar
from clawscope.model import Filters
from clawscope.money import usd, usd_sum
from clawscope.store import Store
from clawscope.timeutil import iso_ms

__all__ = [
    "Filters",
    "failed_tool_calls",
    "grouped",
    "iso",
    "problems",
    "session_json",
    "session_turns",
    "sessions",
    "stats",
    "tool_groups",
    "totals",
]


iso = iso_ms  # the one time format of every JSON output (timeutil)


def stats(store: Store, f: Filters, by: str | None = None) -> dict[str, Any]:
    """`{"period", "totals", "by", "groups"}` (see README: `clawscope stats --json`)."""
    result = totals(store, f)
    found = grouped(store, f, by) if by else []
    return {
        "period": {"from": iso(f.since_ms), "to": iso(f.until_ms)},
        "totals": result,
        "by": by,
        "groups": found,
    }


def totals(store: Store, f: Filters) -> dict[str, Any]:
    """The period's totals, with the cache hit rate and tokens per dollar."""
    return derived(store.totals.period(f))


def grouped(store: Store, f: Filters, by: str) -> list[dict[str, Any]]:
    """Totals per value of a dimension (see `model.DIMENSIONS`); per tool: calls, errors and the
    p50/p95 duration."""
    if by == "tool":
        return tool_groups(store, f)
    return [derived(g) for g in store.totals.groups(f, by)]


def tool_groups(store: Store, f: Filters) -> list[dict[str, Any]]:
    """Per real tool name: calls, errors and p50/p95 duration, most called first. Over whole UTC hours
    from the roll-ups (percentiles within 2 %: `duration_histogram`), else exact."""
    rolled = store.tools.summary(f)
    if rolled is not None:
        return rolled
    out = []
    for g in store.tools.per_tool(f):
        durations = g.pop("durationsMs")
        out.append(
            {**g, "p50DurationMs": percentile(durations, 50), "p95DurationMs": percentile(durations, 95)}
        )
    return out


def derived(d: dict[str, Any]) -> dict[str, Any]:
    """Adds `cacheHitRate` and `tokensPerDollar` to a totals-shaped dict (when it has tokens)."""
    if "tokensIn" in d:
        d["cacheHitRate"] = cache_hit_rate(d["tokensIn"], d["cacheRead"])
        d["tokensPerDollar"] = tokens_per_dollar(
            d["tokensIn"] + d["tokensOut"] + d["cacheRead"] + d["cacheWrite"],
            usd_sum(d["costUSD"], d["estimatedCostUSD"]),
        )
    return d


def session_json(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "sessionId": r["session_id"],
        "key": r["key"],
        "kind": r["kind"],
        "trigger": r["trigger"],
        "agent": r["agent_id"],
        "instance": r["instance"],
        "channel": r["channel"],
        "parentSessionId": r["parent_session_id"],
        "parentKey": r["parent_key"],
        "spawnDepth": r["spawn_depth"],
        "jobId": r["job_id"],
        "label": r["label"] or r["display_name"],
        "status": r["status"],
        "firstAt": iso(r["first_ms"]),
        "lastAt": iso(r["last_ms"]),
        "llmCalls": r["n_llm_calls"],
        "toolCalls": r["n_tool_calls"],
        "toolErrors": r["n_tool_errors"],
        "errors": r["n_errors"],
        "tokensIn": r["tokens_in"],
        "tokensOut": r["tokens_out"],
        "cacheRead": r["cache_read"],
        "cacheWrite": r["cache_write"],
        "totalTokens": r["total_tokens"],  # the one token count: OpenClaw's per-call total, summed
        "costUSD": usd(r["cost_usd"]),
        "estimatedCostUSD": usd(r["est_cost_usd"]),
        "entries": r["n_entries"],
        "messages": r["n_messages"],
        "compactions": r["n_compactions"],
        "model": r["model"],
        "provider": r["model_provider"],
        "source": r["source"],
    }


def sessions(
    store: Store, f: Filters, limit: int | None = None, order: str = "recent"
) -> list[dict[str, Any]]:
    return [session_json(r) for r in store.sessions.active(f, limit, order)]


def problems(store: Store, limit: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "id": r["problem_id"],
            "source": r["source"],
            "path": r["path"],
            "location": r["location"],
            "code": r["code"],
            "severity": r["severity"],
            "reason": r["reason"],
            "excerpt": r["excerpt"],
            "firstSeenAt": iso(r["first_seen_ms"]),
        }
        for r in store.problems.all(limit)
    ]


# -- dashboard additions ---------------------------------------------------------------------------------


def failed_tool_calls(store: Store, f: Filters, limit: int = 50) -> list[dict[str, Any]]:
    """Recent failing tool calls with their error text (the Tools page)."""
    return [
        {
            "tool": r["name"],
            "at": iso(r["ts_ms"]),
            "error": r["error_text"],
            "exitCode": r["exit_code"],
            "durationMs": r["duration_ms"],
            "sessionId": r["session_id"],
            "agent": r["agent_id"],
        }
        for r in store.tools.latest_failures(f, limit)
    ]


def session_turns(store: Store, session_id: str) -> dict[str, dict[str, Any]]:
    """Tokens and cost of each model call of a session, by transcript entry id (session replay)."""
    return {
        str(r["entry_id"]): {
            "model": r["model"],
            "provider": r["provider"],
            "tokensIn": int(r["input"]),
            "tokensOut": int(r["output"]),
            "cacheRead": int(r["cache_read"]),
            "cacheWrite": int(r["cache_write"]),
            "costUSD": usd(r["cost_total"]),
            "estimatedCostUSD": usd(r["est_cost"]),
            "error": r["error_message"] if r["is_error"] else None,
        }
        for r in store.transcripts.turns(session_id)
    }
