"""The isolation rules: OpenClaw only starts in a namespace whose sole interface is `lo` (unit tier)."""

from __future__ import annotations

import pytest

from tests.conformance.netns import NotIsolatedError, link_names, require_loopback_only, unshare_prefix

IP_LOOPBACK_ONLY = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\n"
IP_HOST = (
    IP_LOOPBACK_ONLY + "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n"
)


def test_loopback_only_namespace_is_accepted() -> None:
    assert require_loopback_only(link_names(IP_LOOPBACK_ONLY)) == ["lo"]


def test_any_other_interface_refuses_to_start_openclaw() -> None:
    assert link_names(IP_HOST) == ["lo", "eth0"]
    with pytest.raises(NotIsolatedError, match="eth0"):
        require_loopback_only(link_names(IP_HOST))


def test_namespace_command_always_unshares_the_network() -> None:
    prefix = unshare_prefix()
    assert "--net" in prefix
    assert prefix[-1] == "--"
