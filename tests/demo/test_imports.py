"""The demo package writes OpenClaw's formats on its own: it imports nothing above the model layer."""

from __future__ import annotations

import ast
from pathlib import Path

import clawscope.demo

ALLOWED = {"clawscope.model", "clawscope.sources.session_keys", "clawscope.errors"}


def test_demo_imports_only_the_model_layer() -> None:
    package = Path(clawscope.demo.__file__).parent
    found = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    ours = {m for m in found if m.startswith("clawscope") and not m.startswith("clawscope.demo")}
    assert ours <= ALLOWED, ours - ALLOWED
    assert "clawscope.model" in ours  # the scan does see imports
