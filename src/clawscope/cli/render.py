"""Terminal rendering of analytics results for the CLI; the JSON shapes stay the contract.

Tables fit the terminal (or `COLUMNS`, 80 when piped): numbers are never cut, long names wrap, and when
even that does not fit the least useful columns are left out (the JSON and CSV formats have them
all). On a terminal the tables are boxed and styled; piped, the output is plain text (no colour, no
box drawing) that `grep`, `awk` and `less` read as they are.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

TEXT_MIN = 32  # a name column is given this much (or its longest cell) before columns are dropped


@dataclass(frozen=True)
class Col:
    """A column: `number` cells are never wrapped nor cut; `drop` orders which go first (0: never)."""

    name: str
    number: bool = False
    drop: int = 0


def console() -> Console:
    """A console on the current stdout: styled on a terminal, plain when piped."""
    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, no_color=not tty, highlight=False, emoji=False, soft_wrap=False)


def usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def count(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,}"


def counted(value: int, noun: str) -> str:
    """A count with its noun, singular for one: "1 session", "3 sessions", "1 new problem"."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + ("es" if noun.endswith("s") else "s")
    return f"{value:,} {noun if value == 1 else plural}"


def fit(cols: list[Col], rows: list[list[str]], width: int, boxed: bool = True) -> list[int]:
    """The indexes of the columns shown at `width`: all of them, or without the first to drop until
    the numbers fit whole and each name column has `TEXT_MIN` (or its longest cell)."""
    shown = list(range(len(cols)))

    def need(idx: list[int]) -> int:
        # boxed: a border and a space each side per column; plain: a space each side
        total = 3 * len(idx) + 1 if boxed else 2 * len(idx)
        for i in idx:
            longest = max([len(r[i]) for r in rows] + [max(len(w) for w in cols[i].name.split())])
            total += longest if cols[i].number else min(longest, max(TEXT_MIN, len(cols[i].name)))
        return total

    for i in sorted((i for i, c in enumerate(cols) if c.drop), key=lambda i: -cols[i].drop):
        if need(shown) <= width:
            break
        shown.remove(i)
    return shown


def table(title: str | None, cols: list[Col], rows: list[list[str]], header: bool = True) -> None:
    """Print rows under `cols`, fitted to the console's width."""
    con = console()
    shown = fit(cols, rows, con.width, con.is_terminal)
    t = Table(
        title=title,
        show_header=header,
        box=box.HEAVY_HEAD if con.is_terminal else None,
        title_justify="left",
        header_style="bold" if con.is_terminal else "",
        title_style="italic" if con.is_terminal else "",
    )
    for i in shown:
        c = cols[i]
        if c.number:
            longest = max([len(r[i]) for r in rows] + [len(c.name)])
            t.add_column(c.name, justify="right", no_wrap=True, min_width=longest)
        else:
            t.add_column(c.name, overflow="fold")
    for r in rows:
        t.add_row(*(Text(r[i]) for i in shown))  # cells are data, never rich markup
    hidden = [cols[i].name for i in range(len(cols)) if i not in shown]
    if con.is_terminal:
        con.print(t)
    else:  # plain: without the padding rich puts at the end of each line
        with con.capture() as cap:
            con.print(t)
        sys.stdout.write("".join(line.rstrip() + "\n" for line in cap.get().splitlines()))
    if hidden:
        note = f"(not shown at {con.width} columns: {', '.join(hidden)}; see --format csv|json)"
        con.print(note, markup=False, highlight=False)


def print_stats(result: dict[str, Any], title: str = "clawscope") -> None:
    t = result["totals"]
    period = result["period"]
    span = f"{period['from'] or 'all time'} → {period['to'] or 'now'}"
    estimated = f" (+{usd(t['estimatedCostUSD'])} estimated, unpriced calls)" if t["estimatedCostUSD"] else ""
    rows = [
        ["cost (reported by OpenClaw)", usd(t["costUSD"]) + estimated],
        ["sessions", count(t["sessions"])],
        ["model calls", f"{count(t['llmCalls'])} ({count(t['errors'])} errors)"],
        ["tool calls", f"{count(t['toolCalls'])} ({count(t['toolErrors'])} failed)"],
        ["tokens in / out", f"{count(t['tokensIn'])} / {count(t['tokensOut'])}"],
        ["cache read / write", f"{count(t['cacheRead'])} / {count(t['cacheWrite'])}"],
    ]
    table(f"{title} — {span}", [Col("metric"), Col("value")], rows, header=False)
    if result["by"]:
        print_groups(result["by"], result["groups"])


def print_groups(by: str, groups: list[dict[str, Any]]) -> None:
    if by == "tool":
        cols = [
            Col("tool"),
            Col("calls", True),
            Col("failed", True),
            Col("p50 ms", True, 1),
            Col("p95 ms", True, 2),
        ]
        rows = [
            [
                g["key"],
                count(g["toolCalls"]),
                count(g["toolErrors"]),
                count(g["p50DurationMs"]),
                count(g["p95DurationMs"]),
            ]
            for g in groups
        ]
        table("by tool", cols, rows)
        return
    cols = [
        Col(by),
        Col("cost", True),
        Col("est.", True, 3),
        Col("calls", True, 2),
        Col("errors", True, 4),
        Col("tokens in", True, 5),
        Col("tokens out", True, 6),
        Col("tool calls", True, 7),
        Col("sessions", True, 1),
    ]
    rows = []
    for g in groups:
        key = f"{g['provider']}/{g['key']}" if by == "model" and g.get("provider") else str(g["key"])
        rows.append(
            [
                key,
                usd(g["costUSD"]),
                usd(g["estimatedCostUSD"]) if g["estimatedCostUSD"] else "",
                count(g["llmCalls"]),
                count(g["errors"]),
                count(g["tokensIn"]),
                count(g["tokensOut"]),
                count(g["toolCalls"]),
                count(g["sessions"]),
            ]
        )
    if not any(r[2] for r in rows):  # nothing estimated: the column says nothing
        cols, rows = cols[:2] + cols[3:], [r[:2] + r[3:] for r in rows]
    table(f"by {by}", cols, rows)


def _when(iso: str | None) -> str:
    return (iso or "")[:19].replace("T", " ")


def print_sessions(rows: list[dict[str, Any]]) -> None:
    cols = [
        Col("last activity", drop=4),
        Col("agent", drop=3),
        Col("kind"),
        Col("key / label"),
        Col("cost", True),
        Col("calls", True, 2),
        Col("tools", True, 5),
        Col("errors", True, 1),
    ]
    cells = [
        [
            _when(r["lastAt"]),
            r["agent"] or "",
            r["kind"],
            r["label"] or r["key"] or r["sessionId"],
            usd(r["costUSD"]),
            count(r["llmCalls"]),
            count(r["toolCalls"]),
            count(r["errors"]),
        ]
        for r in rows
    ]
    table(f"{len(rows)} sessions", cols, cells)


def print_problems(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console().print("no problems recorded")
        return
    cols = [Col("severity", drop=1), Col("code"), Col("where"), Col("why")]
    cells = [[r["severity"], r["code"], f"{r['path']} ({r['location']})", r["reason"]] for r in rows]
    table(f"{len(rows)} problems", cols, cells)


def print_report(
    by_trigger: dict[str, Any], by_model: dict[str, Any], top: list[dict[str, Any]], source: str, demo: bool
) -> None:
    """The `clawscope report` screen: totals, spend by trigger and by model, the costliest sessions."""
    con = console()
    if demo:
        con.print(
            "[bold yellow]DEMO DATA[/] — no OpenClaw state was found on this machine; this report "
            "is about a generated demo state. Point clawscope at yours: clawscope report --state DIR"
        )
    con.print(f"source: {source}", markup=False)
    print_stats(by_trigger, title="clawscope report")
    print_groups("model", by_model["groups"])
    if top:
        cols = [
            Col("cost", True),
            Col("kind"),
            Col("agent", drop=3),
            Col("key / label"),
            Col("calls", True, 2),
            Col("tool calls", True, 1),
            Col("last activity", drop=4),
        ]
        cells = [
            [
                usd(r["costUSD"]),
                r["kind"],
                r["agent"] or "",
                r["label"] or r["key"] or r["sessionId"],
                count(r["llmCalls"]),
                count(r["toolCalls"]),
                _when(r["lastAt"]),
            ]
            for r in top
        ]
        table("most expensive sessions", cols, cells)
