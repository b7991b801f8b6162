"""The README documents every CLI command, every setting and every JSON field the CLI prints."""

from __future__ import annotations

import dataclasses
import re

from clawscope.cli import cli
from clawscope.config import Settings
from clawscope.model import ProblemCode
from tests.conftest import ROOT

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
