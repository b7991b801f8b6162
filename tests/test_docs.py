"""The README documents every CLI command, every setting and every JSON field the CLI prints."""

from __future__ import annotations

import dataclasses
import re

from clawscope.cli import cli
from clawscope.config import Settings
from clawscope.model import ProblemCode
from tests.support.env import ROOT

README = (ROOT / "README.md").read_text()


def test_every_command_is_documented() -> None:
    for name in cli.commands:
        assert f"clawscope {name}" in README, name


def test_every_setting_is_documented_with_its_environment_variable() -> None:
    for field in dataclasses.fields(Settings):
        assert f"| `{field.name}` | `CLAWSCOPE_{field.name.upper()}` |" in README, field.name


def test_every_problem_code_is_documented() -> None:
    for code in ProblemCode:
        assert f"`{code.value}`" in README, code


def test_the_two_commands_come_first() -> None:
    first_block = re.search(r"```\n(.*?)```", README, re.S)
    assert first_block is not None
    lines = [ln.split("#")[0].strip() for ln in first_block.group(1).splitlines() if ln.strip()]
    assert lines == ["make run", "make test"]


ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
SRC = ROOT / "src" / "clawscope"


def test_every_package_and_top_level_module_is_in_the_architecture() -> None:
    packages = sorted(p.parent.relative_to(SRC).as_posix() for p in SRC.rglob("__init__.py"))
    packages = [p for p in packages if p != "."]
    assert "store" in packages and "web/routes" in packages  # the walk does find them
    for package in packages:
        assert f"`{package}/`" in ARCHITECTURE, package
    for module in sorted(SRC.glob("*.py")):
        if module.name != "__init__.py":
            assert f"`{module.name}`" in ARCHITECTURE, module.name


def test_the_next_packages_have_their_rooms() -> None:
    for room, contents in (
        ("detect", ("Detector", "one module per family", "runner", "findings")),
        ("alerts", ("rules", "evaluation", "channels", "outbox")),
        ("exports", ("Prometheus", "Grafana", "OTLP export", "MCP server", "file exports")),
    ):
        paragraph = " ".join(ARCHITECTURE.split(f"- `{room}/`", 1)[1].split("\n- ", 1)[0].split())
        for word in contents:
            assert word in paragraph, (room, word)
        assert f"({room})" in (ROOT / "pyproject.toml").read_text()  # its layer is reserved


def test_where_new_things_go_is_documented() -> None:
    where = ARCHITECTURE.split("## Where new things go", 1)[1]
    for thing in (
        "CLI command group",
        "API route module",
        "store query module",
        "service in the typed app state",
    ):
        assert f"- A new {thing}: " in where, thing


def test_every_dashboard_page_has_a_screenshot_shown_in_the_readme() -> None:
    """Every page of the menu, the replay and search are captured by scripts/screenshots.py into
    docs/screenshots/ (real PNGs, committed) and the README shows or links each one."""
    from clawscope.web.dashboard.render import NAV

    script = (ROOT / "scripts" / "screenshots.py").read_text()
    captured = dict(re.findall(r'^    "(\w+)": "(/[^"]*)",$', script, re.M))
    assert '"session": f"/sessions/{top}"' in script  # the costliest session's replay
    names = [*captured, "session"]
    assert {path.split("?")[0] for path in captured.values()} >= {href for href, _ in NAV}
    assert "search" in captured
    readme = (ROOT / "README.md").read_text()
    for name in names:
        png = ROOT / "docs" / "screenshots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000, name
        assert f"(docs/screenshots/{name}.png)" in readme, name
