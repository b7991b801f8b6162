"""`channel_mismatch` on the recorded corpus (both eras): PII and secrets into groups, formats a channel
cannot show, answers routed to another chat; and its hard negatives."""

from __future__ import annotations

import msgspec
import pytest

from clawscope.detect.families.channel_mismatch import ChannelFormat, PiiInGroup, ReplyRouting, chat_place
from clawscope.detect.pii import iban_ok, luhn_ok, mask, scan
from clawscope.model.detection import Finding, FindingSeverity, SessionInfo, SessionView
from tests.detect.families.corpus_views import ERAS, all_views, one

DETECTORS = (PiiInGroup(), ChannelFormat(), ReplyRouting())
POSITIVES = (
    "channel/card-in-channel",
    "channel/email-phone-in-group",
    "channel/home-address-in-group",
    "channel/iban-in-whatsapp",
    "channel/markdown-table-in-whatsapp",
    "channel/reply-to-other-channel",
    "channel/reply-to-other-chat",
    "channel/secret-in-slack",
    "channel/too-long-for-discord",
)


def findings(view: SessionView) -> list[Finding]:
    return [f for d in DETECTORS for f in d.detect(view, {})]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("name", POSITIVES)
def test_fires_on_each_positive_citing_the_labelled_entries(era: str, name: str) -> None:
    view, label = one(era, name)
    found = findings(view)
    assert found, name
    labelled = set(label["entries"]["channel_mismatch"])
    assert all(set(f.entry_ids) & labelled for f in found)
    assert all(f.family == "channel_mismatch" and f.anchor_entry_id in f.entry_ids for f in found)


@pytest.mark.parametrize("era", ERAS)
def test_quiet_on_every_session_not_labelled_channel_mismatch(era: str) -> None:
    noisy = [
        (label["session"], [f.message for f in findings(view)])
        for view, label in all_views(era)
        if "channel_mismatch" not in label["families"] and findings(view)
    ]
    assert noisy == []


@pytest.mark.parametrize("era", ERAS)
def test_pii_evidence_is_typed_and_masked(era: str) -> None:
    view, _ = one(era, "channel/email-phone-in-group")
    (f,) = PiiInGroup().detect(view, {})
    assert f.evidence["types"] == ["EMAIL_ADDRESS", "PHONE_NUMBER"]
    assert f.severity is FindingSeverity.WARNING
    text = repr(f.evidence) + f.message
    assert "jane.miller" not in text and "900123" not in text
    card, _ = one(era, "channel/card-in-channel")
    (c,) = PiiInGroup().detect(card, {})
    assert c.severity is FindingSeverity.CRITICAL
    assert c.evidence["matches"][0]["masked"] == "**** **** **** **11"


@pytest.mark.parametrize("era", ERAS)
def test_allowlist_and_role_addresses_are_params(era: str) -> None:
    view, _ = one(era, "channel/email-phone-in-group")
    allowed = {"allowed_values": ["jane.miller@example.org", "+44 7700 900123"]}
    assert list(PiiInGroup().detect(view, allowed)) == []
    public, _ = one(era, "channel-neg/public-contact-in-group")
    assert list(PiiInGroup().detect(public, {})) == []
    assert list(PiiInGroup().detect(public, {"public_email_localparts": []}))


@pytest.mark.parametrize("era", ERAS)
def test_routing_evidence_names_both_places(era: str) -> None:
    view, _ = one(era, "channel/reply-to-other-channel")
    (f,) = ReplyRouting().detect(view, {})
    assert f.evidence["from"]["channel"] == "telegram" and f.evidence["to"]["channel"] == "discord"
    same, _ = one(era, "channel-neg/reply-to-same-group")
    assert list(ReplyRouting().detect(same, {})) == []


def test_the_key_alone_says_group() -> None:
    info = SessionInfo(session_id="s", instance="i", key="agent:main:telegram:group:-100123:thread:7")
    assert chat_place(info) == ("telegram", "group", "-100123")
    assert chat_place(SessionInfo(session_id="s", instance="i", key="agent:main:openai:abc")) == (
        "openai",
        None,
        None,
    )


def test_checksums_and_masking() -> None:
    assert luhn_ok("4111 1111 1111 1111") and not luhn_ok("4111 1111 1111 1112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83 WEST 1234 5698 7654 32")
    assert mask("jane@example.org") == "****@*******.*rg"
    assert mask("xoxb-1234-abcd", secret=True).startswith("xoxb") and "1234" not in mask(
        "xoxb-1234", secret=True
    )
    assert [m.type for m in scan("order 4111 1111 1111 1112, v2.14.3 on 2026-11-21, £4.50")] == []
    assert [m.type for m in scan("GH token ghp_abcdefghijklmnop1234 and key AKIAABCDEFGHIJKLMNOP")] == [
        "GITHUB_TOKEN",
        "AWS_ACCESS_KEY",
    ]


def test_a_notice_posted_elsewhere_is_not_a_misrouted_answer() -> None:
    from clawscope.model.detection import EntryView, ToolUse

    asked = EntryView(
        "u1", 0, "message", "user", 1, "@claw remind everyone about the standup moved to 10:30", {}
    )
    call = EntryView("a1", 1, "message", "assistant", 2, "", {})
    digest = ToolUse(
        "c1",
        "a1",
        None,
        2,
        "message",
        {
            "action": "send",
            "channel": "telegram",
            "target": "-100999",
            "message": "Nothing urgent: 12 new emails.",
        },
        "ok",
    )
    info = SessionInfo(session_id="s", instance="i", key="agent:work:slack:channel:c0f745")
    view = SessionView(info, entries=(asked, call), tools=(digest,))
    assert list(ReplyRouting().detect(view, {})) == []
    answer = msgspec.structs.replace(
        digest, arguments={**digest.arguments, "message": "Standup moved to 10:30."}
    )
    (f,) = ReplyRouting().detect(msgspec.structs.replace(view, tools=(answer,)), {})
    assert f.evidence["sharedWords"] == ["move", "stan"]


def test_pii_posted_into_a_group_target_from_any_session() -> None:
    from clawscope.model.detection import EntryView, ToolUse

    call = EntryView("a1", 1, "message", "assistant", 2, "", {})
    post = ToolUse(
        "c1",
        "a1",
        None,
        2,
        "message",
        {
            "action": "send",
            "channel": "telegram",
            "target": "-1001234567",
            "message": "Card 4111 1111 1111 1111",
        },
        "ok",
    )
    web = SessionInfo(session_id="s", instance="i", key="agent:main:openai:abc")  # not a group itself
    (f,) = PiiInGroup().detect(SessionView(web, entries=(call,), tools=(post,)), {})
    assert f.evidence["targets"] == ["-1001234567"] and f.evidence["types"] == ["CREDIT_CARD"]
    to_a_person = msgspec.structs.replace(post, arguments={**post.arguments, "target": "481516234"})
    assert list(PiiInGroup().detect(SessionView(web, entries=(call,), tools=(to_a_person,)), {})) == []
