"""`generate()`: deterministic for a seed, exact session counts, a guarded output directory."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clawscope.demo import generate, is_demo_dir
from clawscope.errors import UsageError


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("era", ["jsonl", "sqlite"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, era: str) -> None:
    a = digest_of(tmp_path / "a", era, seed=5)
    # Another process with another string-hash seed: nothing may depend on set or dict-of-str order.
    code = (
        "import sys; from pathlib import Path; from clawscope.demo import generate; "
        "generate(Path(sys.argv[1]), sessions=40, agents=2, era=sys.argv[2], seed=5)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b"), era], check=True, env=env)
    b = digest(tmp_path / "b")
    c = digest_of(tmp_path / "c", era, seed=6)
    assert a == b
    assert (set(a) != set(c)) == (era == "jsonl")  # JSONL file names carry the session ids
    common = set(a) & set(c)
    assert all(a[f] != c[f] for f in common - {"openclaw.json"}), sorted(f for f in common if a[f] == c[f])


def digest_of(root: Path, era: str, seed: int) -> dict[str, str]:
    generate(root, sessions=40, agents=2, era=era, seed=seed)
    return digest(root)


@pytest.mark.parametrize(("sessions", "agents"), [(1, 1), (2, 2), (5, 1), (7, 3), (33, 4), (250, 6)])
def test_exactly_the_requested_sessions(tmp_path: Path, sessions: int, agents: int) -> None:
    totals = generate(tmp_path / "d", sessions=sessions, agents=agents, era="jsonl", seed=1)
    assert totals.all.sessions == sessions
    assert len(list((tmp_path / "d").glob("agents/*/sessions/*.jsonl*"))) == sessions
    assert len(list((tmp_path / "d" / "agents").iterdir())) == agents


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"era": "yaml"}, "--era must be one of"),
        ({"agents": 0}, "--agents must be between"),
        ({"sessions": 2, "agents": 3}, "--sessions must be between"),
        ({"seed": -1}, "--seed must be"),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"sessions": 10, "agents": 1, "era": "jsonl", "seed": 0, **kwargs}
    with pytest.raises(UsageError, match=message):
        generate(tmp_path / "d", **args)  # type: ignore[arg-type]
    assert not (tmp_path / "d").exists()


def test_refuses_a_directory_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        generate(tmp_path, sessions=3, agents=1, era="jsonl", seed=0)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    with pytest.raises(UsageError, match="not a directory"):
        generate(tmp_path / "notes.txt", sessions=3, agents=1, era="jsonl", seed=0)


def test_replaces_a_previous_demo_but_not_a_tampered_one(tmp_path: Path) -> None:
    root = tmp_path / "d"
    generate(root, sessions=8, agents=1, era="jsonl", seed=0)
    assert is_demo_dir(root)
    totals = generate(root, sessions=5, agents=1, era="sqlite", seed=1)  # another era replaces it whole
    assert not (root / "cron").exists()
    assert (root / "agents" / "main" / "agent" / "openclaw-agent.sqlite").exists()
    assert json.loads((root / "demo-totals.json").read_text())["sessions"] == totals.all.sessions == 5
    (root / "extra.txt").write_text("user data")
    assert not is_demo_dir(root)
    with pytest.raises(UsageError):
        generate(root, sessions=5, agents=1, era="jsonl", seed=1)
    assert (root / "extra.txt").read_text() == "user data"


def test_an_interrupted_demo_can_be_regenerated(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    (root / "demo-totals.json").write_text('{"generator": "clawscope demo", "complete": false}')
    (root / "agents").mkdir()
    generate(root, sessions=3, agents=1, era="jsonl", seed=0)
    assert json.loads((root / "demo-totals.json").read_text())["complete"] is True


def test_a_demo_can_end_at_a_given_time(tmp_path: Path) -> None:
    """`serve --demo` asks for a history that ends now, so the dashboard has a today and a last week."""
    from clawscope.demo.clock import DAY_MS, SPAN_DAYS, iso

    end = 1_900_000_000_000 + 1234  # not on an hour: the history ends on the hour before
    totals = generate(tmp_path / "d", sessions=30, agents=2, era="jsonl", seed=3, end_ms=end)
    anchor = end - end % 3_600_000
    assert totals.anchor == iso(anchor)
    stamps = [
        json.loads(line)["timestamp"]
        for f in (tmp_path / "d").rglob("*.jsonl")
        for line in f.read_text().splitlines()
        if '"timestamp"' in line and line.startswith("{")
    ]
    texts = [s for s in stamps if isinstance(s, str)]
    assert texts and max(texts) <= iso(anchor + DAY_MS)  # nothing far in the future
    assert min(texts) >= iso(anchor - (SPAN_DAYS + 2) * DAY_MS)
    assert max(texts) >= iso(anchor - 7 * DAY_MS)  # recent activity exists
