"""The runner: family modules found by pkgutil, pure detection with settings, and the settings' parsing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import pytest

from clawscope.detect import families
from clawscope.detect.base import REGISTRY, DetectorSettings
from clawscope.detect.runner import DetectorError, detect_view, load_all
from clawscope.detect.settings import all_settings, fingerprint, settings_for
from clawscope.errors import ConfigError
from clawscope.model.detection import Finding, FindingSeverity, SessionInfo, SessionView, ToolUse
from tests.detect.doubles import FailedToolDetector, registered


def view(*statuses: str) -> SessionView:
    tools = tuple(
        ToolUse(f"c{i}", f"e{i}", f"r{i}", 1000 + i, "exec", {"command": "ls"}, s)
        for i, s in enumerate(statuses)
    )
    return SessionView(SessionInfo("s1", "inst"), tools=tools)


def test_detect_view_runs_enabled_detectors_in_order() -> None:
    with registered():
        found = detect_view(view("ok", "error", "error"))
    assert [(f.anchor_entry_id, f.entry_ids) for f in found] == [("e1", ("e1", "r1")), ("e2", ("e2", "r2"))]
    assert {f.severity for f in found} == {FindingSeverity.WARNING}


def test_settings_disable_override_severity_and_set_params() -> None:
    det = FailedToolDetector()
    with registered(det):
        off = {det.id: DetectorSettings(enabled=False)}
        assert detect_view(view("error"), off) == []
        crit = {det.id: DetectorSettings(severity=FindingSeverity.CRITICAL)}
        assert [f.severity for f in detect_view(view("error"), crit)] == [FindingSeverity.CRITICAL]
        ignore = {det.id: DetectorSettings(params={"ignore": ["exec"]})}
        assert detect_view(view("error"), ignore) == []


def test_config_tables_family_then_detector() -> None:
    det = FailedToolDetector()
    cfg = {"tool_abuse": {"severity": "info", "ignore": ["a"]}, det.id: {"ignore": ["b"]}}
    s = settings_for(det, cfg)
    assert s == DetectorSettings(enabled=True, severity=FindingSeverity.INFO, params={"ignore": ["b"]})
    assert settings_for(det, {}).params == {"ignore": []}
    with pytest.raises(ConfigError, match="severity 'loud'"):
        settings_for(det, {det.id: {"severity": "loud"}})
    with pytest.raises(ConfigError, match="enabled"):
        settings_for(det, {det.id: {"enabled": "yes"}})
    with pytest.raises(ConfigError, match="no detector or family"):
        all_settings({"lop": {}}, {det.id: det})


def test_fingerprint_changes_with_settings_and_version() -> None:
    det = FailedToolDetector()
    dets = {det.id: det}
    base = fingerprint(dets, all_settings({}, dets))
    assert base == fingerprint(dets, all_settings({}, dets))
    assert base != fingerprint(dets, all_settings({det.id: {"ignore": ["x"]}}, dets))
    assert base != fingerprint(dets, all_settings({det.id: {"enabled": False}}, dets))

    class V2(FailedToolDetector):
        version: ClassVar[int] = 2

    assert base != fingerprint({det.id: V2()}, all_settings({}, dets))


class Broken(FailedToolDetector):
    id: ClassVar[str] = "test.broken"

    def detect(self, view: SessionView, params: dict[str, Any]) -> list[Finding]:  # noqa: ARG002
        raise RuntimeError("bug")


class WrongFamily(FailedToolDetector):
    id: ClassVar[str] = "test.wrong-family"

    def detect(self, view: SessionView, params: dict[str, Any]) -> list[Finding]:
        return [msgspec.structs.replace(f, family="loop") for f in super().detect(view, params)]


@pytest.mark.parametrize("bad", [Broken(), WrongFamily()])
def test_a_broken_detector_is_skipped_or_raises_when_strict(bad: FailedToolDetector) -> None:
    with registered(FailedToolDetector(), bad):
        assert [f.detector for f in detect_view(view("error"))] == ["test.failed-tool"]
        with pytest.raises(DetectorError, match=bad.id):
            detect_view(view("error"), strict=True)


def test_load_all_imports_every_family_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "fams"
    pkg.mkdir()
    (pkg / "probe_family.py").write_text(
        "from clawscope.detect.base import register\n"
        "from tests.detect.doubles import FailedToolDetector\n"
        "class Probe(FailedToolDetector):\n    id = 'test.probe'\n"
        "register(Probe())\n"
    )
    name = families.__name__ + ".probe_family"
    try:
        with registered():
            monkeypatch.setattr(families, "__path__", [str(pkg)])
            assert "test.probe" in load_all()
    finally:
        sys.modules.pop(name, None)
        REGISTRY.pop("test.probe", None)
