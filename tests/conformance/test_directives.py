"""Reading directives and markers from OpenClaw's requests (unit tier, pure functions)."""

from __future__ import annotations

from tests.conformance.directives import attribute, is_internal, strip_directives, tool_directives


def test_directive_parsing_uses_a_real_json_decoder() -> None:
    text = 'a [[tool:exec {"command": "echo ]] }"}]] b [[tool:read]] [[think]]'
    assert tool_directives(text) == [("exec", {"command": "echo ]] }"}), ("read", {})]
    assert strip_directives(text) == "a  b  "


def test_internal_context_is_recognised_in_both_eras() -> None:
    assert is_internal("<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nConversation data")
    assert is_internal("OpenClaw runtime context for the immediately preceding user message.")
    assert not is_internal("[Sat 2026-11-21 06:29 UTC] [[scenario:plain]] hello")


def test_session_marker_only_counts_in_the_first_user_message() -> None:
    assert attribute(["[[session:child]] task", "[[scenario:x]] more"]) == "child"
    assert attribute(["[[scenario:plain]] hi", "quoted [[session:child]]"]) == "plain"
    assert attribute(["no markers at all"]) is None
