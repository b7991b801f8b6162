"""Run OpenClaw only inside a loopback-only network namespace, with its phone-home switched off.

`unshare --net` gives the driver a private network stack holding nothing but `lo`, so OpenClaw can reach
the fake LLM on 127.0.0.1 and nothing else, and the three releases can each bind the same ports. Root
may create the namespace directly; other users get it inside a user namespace (`--map-root-user`).
`probe()` checks the namespace can be created before any OpenClaw starts; the tier fails under CI=true
(and skips elsewhere) when it cannot, and never falls back to running OpenClaw un-isolated. Inside,
`isolate()` brings `lo` up and refuses to go on if any other interface is present.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conformance.releases import node_bin_dir

# OpenClaw's documented opt-outs (format doc §7): no update checks, no telemetry, no mDNS, no channels.
OPENCLAW_OPT_OUTS = {
    "OPENCLAW_NO_AUTO_UPDATE": "1",
    "DO_NOT_TRACK": "1",
    "OPENCLAW_DISABLE_BONJOUR": "1",
    "OPENCLAW_SKIP_CHANNELS": "1",
    "OPENCLAW_TELEMETRY_ENDPOINT": "http://127.0.0.1:9/telemetry-disabled",
    "NO_UPDATE_NOTIFIER": "1",
}
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy")


def unshare_prefix() -> list[str]:
    """The command prefix that enters a fresh network namespace."""
    unshare = shutil.which("unshare") or "unshare"
    if os.geteuid() == 0:
        return [unshare, "--net", "--"]
    return [unshare, "--user", "--map-root-user", "--net", "--"]


def probe() -> str | None:
    """None when a loopback-only namespace can be created here, else why not."""
    if shutil.which("unshare") is None:
        return "`unshare` (util-linux) is not installed"
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed"
    try:
        proc = subprocess.run(
            [*unshare_prefix(), "ip", "link", "set", "lo", "up"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`unshare --net` failed to run: {exc}"
    if proc.returncode != 0:
        return (
            f"cannot create a network namespace (`unshare --net`): {proc.stderr.strip() or proc.returncode}"
        )
    return None


class NotIsolatedError(RuntimeError):
    """The process is not in a loopback-only namespace; OpenClaw must not start."""


def link_names(ip_link_output: str) -> list[str]:
    """Interface names from `ip -o link show` output (`1: lo: <LOOPBACK,UP> …`, `2: eth0@if5: …`)."""
    return [line.split(":")[1].strip().split("@")[0] for line in ip_link_output.splitlines() if line.strip()]


def require_loopback_only(links: list[str]) -> list[str]:
    if links != ["lo"]:
        raise NotIsolatedError(f"network namespace has interfaces {links}, expected only ['lo']")
    return links


def isolate() -> list[str]:
    """Inside the namespace: bring `lo` up and prove it is the only interface. Returns the link names."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True, timeout=10)
    out = subprocess.run(
        ["ip", "-o", "link", "show"], check=True, capture_output=True, text=True, timeout=10
    ).stdout
    return require_loopback_only(link_names(out))


def openclaw_env(home: Path, tmpdir: Path, gateway_token: str) -> dict[str, str]:
    """Environment for every OpenClaw process of one run: scratch HOME/TMPDIR, Node 24 first, no proxies."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS and not k.startswith("OPENCLAW_")}
    env.update(OPENCLAW_OPT_OUTS)
    env.update(
        HOME=str(home),
        TMPDIR=str(tmpdir),
        PATH=f"{node_bin_dir()}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        OPENCLAW_GATEWAY_TOKEN=gateway_token,
        NODE_NO_WARNINGS="1",
    )
    return env
