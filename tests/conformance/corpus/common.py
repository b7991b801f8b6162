"""Helpers and shared files of the corpus scenarios (tool-call tuples, workspace paths, file texts)."""

from __future__ import annotations


def ws(path: str) -> str:
    """A file in the main agent's workspace, by path relative to HOME."""
    return ".openclaw/workspace/" + path


def exec_(command: str, **extra: object) -> tuple[str, dict[str, object]]:
    return ("exec", {"command": command, **extra})


def read(path: str, **extra: object) -> tuple[str, dict[str, object]]:
    return ("read", {"path": path, **extra})


POLL_SCRIPT = (
    'n=$(cat "$1" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$1"; '
    'if [ $n -ge 3 ]; then echo "deploy status: ready (check $n)"; '
    'else echo "deploy status: pending (check $n)"; fi\n'
)
BUILD_LOG = "".join(f"[build] step {i:02d}: compiled module_{i:02d}.py ok\n" for i in range(1, 31))
CALC_V1 = "def add(a, b):\n    return a - b\n"
CALC_V2 = "def add(a, b):\n    return a + b\n"
CALC_TEST = "from calc import add\nassert add(2, 3) == 5, f'add(2, 3) = {add(2, 3)}'\nprint('calc ok')\n"
