"""`scripts/check-one-home` fails on a concept outside its one module, and passes the real tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.env import ROOT

SCRIPT = ROOT / "scripts" / "check-one-home"


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


def test_the_repository_keeps_each_concept_in_its_home() -> None:
    result = _run(ROOT)
    assert result.returncode == 0, result.stdout


def test_strays_are_named_with_their_line(tmp_path: Path) -> None:
    pkg = tmp_path / "src" / "clawscope"
    (pkg / "store").mkdir(parents=True)
    (pkg / "web").mkdir()
    (pkg / "webhooks.py").write_text("import hmac\nhmac.new(b'k', b'm', 'sha256')\n")
    (pkg / "timeutil.py").write_text("import time\nx = int(time.time() * 1000)\n")
    (pkg / "store" / "x.py").write_text("engine = store.engine\n")
    assert _run(tmp_path).returncode == 0  # each in its home
    (pkg / "web" / "bad.py").write_text(
        "sig = hmac.new( key, body, sha256)\n"
        "now = int(time.time()*1000)\n"
        "t = datetime.fromisoformat(text)\n"
        'url = f"sqlite:///{path}"\n'
        "with state.store.engine.connect() as conn:\n"
        "    pass\n"
    )
    result = _run(tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["1", "2", "3", "4", "5"], lines
    assert all(ln.startswith("src/clawscope/web/bad.py:") for ln in lines)


def test_money_converts_to_nano_dollars_in_one_place(tmp_path: Path) -> None:
    pkg = tmp_path / "src" / "clawscope"
    (pkg / "web").mkdir(parents=True)
    (pkg / "money.py").write_text("def usd(n):\n    return n / 1_000_000_000\n")
    assert _run(tmp_path).returncode == 0  # in its home
    (pkg / "web" / "bad.py").write_text(
        "a = cost / 1e9\nb = round(cost * 1_000_000_000)\nc = 1e9 * x\nlimit = Query(le=1_000_000_000)\n"
    )
    result = _run(tmp_path)
    assert result.returncode == 1
    assert [ln.split(":")[1] for ln in result.stdout.splitlines()] == ["1", "2", "3"], result.stdout
