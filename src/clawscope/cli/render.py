"""Terminal rendering of analytics results (rich tables) for the CLI; the JSON shapes stay the contract."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()


def usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def count(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,}"


def print_stats(result: dict[str, Any], title: str = "clawscope") -> None:
    t = result["totals"]
    period = result["period"]
    span = f"{period['from'] or 'all time'} → {period['to'] or 'now'}"
    table = Table(title=f"{title} — {span}", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    estimated = f" (+{usd(t['estimatedCostUSD'])} estimated, unpriced calls)" if t["estimatedCostUSD"] else ""
    rows = [
        ("cost (reported by OpenClaw)", usd(t["costUSD"]) + estimated),
        ("sessions", count(t["sessions"])),
        ("model calls", f"{count(t['llmCalls'])} ({count(t['errors'])} errors)"),
        ("tool calls", f"{count(t['toolCalls'])} ({count(t['toolErrors'])} failed)"),
        ("tokens in / out", f"{count(t['tokensIn'])} / {count(t['tokensOut'])}"),
        ("cache read / write", f"{count(t['cacheRead'])} / {count(t['cacheWrite'])}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if result["by"]:
        print_groups(result["by"], result["groups"])


def print_groups(by: str, groups: list[dict[str, Any]]) -> None:
    if by == "tool":
        table = Table(title="by tool")
        for col in ("tool", "calls", "failed", "p50 ms", "p95 ms"):
            table.add_column(col, justify="left" if col == "tool" else "right")
        for g in groups:
            table.add_row(
                g["key"],
                count(g["toolCalls"]),
                count(g["toolErrors"]),
                count(g["p50DurationMs"]),
                count(g["p95DurationMs"]),
            )
        console.print(table)
        return
    table = Table(title=f"by {by}")
    for col in (by, "cost", "est.", "calls", "errors", "tokens in", "tokens out", "tool calls", "sessions"):
        table.add_column(col, justify="left" if col == by else "right")
    for g in groups:
        key = f"{g['provider']}/{g['key']}" if by == "model" and g.get("provider") else str(g["key"])
        table.add_row(
            key,
            usd(g["costUSD"]),
            usd(g["estimatedCostUSD"]) if g["estimatedCostUSD"] else "",
            count(g["llmCalls"]),
            count(g["errors"]),
            count(g["tokensIn"]),
            count(g["tokensOut"]),
            count(g["toolCalls"]),
            count(g["sessions"]),
        )
    console.print(table)


def print_sessions(rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"{len(rows)} sessions")
    for col in ("last activity", "agent", "kind", "key / label", "cost", "calls", "tools", "errors"):
        table.add_column(col, justify="right" if col in ("cost", "calls", "tools", "errors") else "left")
    for r in rows:
        table.add_row(
            (r["lastAt"] or "")[:19],
            r["agent"] or "",
            r["kind"],
            r["label"] or r["key"] or r["sessionId"],
            usd(r["costUSD"]),
            count(r["llmCalls"]),
            count(r["toolCalls"]),
            count(r["errors"]),
        )
    console.print(table)


def print_problems(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("no problems recorded")
        return
    table = Table(title=f"{len(rows)} problems")
    for col in ("severity", "code", "where", "why"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["severity"], r["code"], f"{r['path']} ({r['location']})", r["reason"])
    console.print(table)


def print_report(
    by_trigger: dict[str, Any], by_model: dict[str, Any], top: list[dict[str, Any]], source: str, demo: bool
) -> None:
    """The `clawscope report` screen: totals, spend by trigger and by model, the costliest sessions."""
    if demo:
        console.print(
            "[bold yellow]DEMO DATA[/] — no OpenClaw state was found on this machine; this report "
            "is about a generated demo state. Point clawscope at yours: clawscope report --state DIR"
        )
    console.print(f"source: {source}")
    print_stats(by_trigger, title="clawscope report")
    print_groups("model", by_model["groups"])
    if top:
        table = Table(title="most expensive sessions")
        for col in ("cost", "kind", "agent", "key / label", "calls", "tool calls", "last activity"):
            table.add_column(col, justify="right" if col in ("cost", "calls", "tool calls") else "left")
        for r in top:
            table.add_row(
                usd(r["costUSD"]),
                r["kind"],
                r["agent"] or "",
                r["label"] or r["key"] or r["sessionId"],
                count(r["llmCalls"]),
                count(r["toolCalls"]),
                (r["lastAt"] or "")[:19],
            )
        console.print(table)
