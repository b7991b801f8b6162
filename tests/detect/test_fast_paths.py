"""The detectors' fast paths give exactly what the slower forms they replace gave.

Detection must stay within its share of a cold ingest (bench/detect_cost.py), so some patterns were
rewritten to let the regex engine skip ahead, and some tests run before the costly ones. Each is checked
here against its reference form on seeded random texts built from the characters and words that matter
(digits, separators, case-folding letters such as the long s and the Kelvin sign, the trigger words).
"""

from __future__ import annotations

import random
import re

from clawscope.detect import instructions, pii
from clawscope.detect.families import hallucination, prompt_injection
from clawscope.detect.semantic import NUMBER, keyword_hits

ROUNDS = 20_000


def texts(alphabet: list[str], seed: int, longest: int = 14) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, longest))) for _ in range(ROUNDS)]


NUMBERISH = [*"0123456789,.. a_x-\n", "\u0663", "é", "ſ", "\u212a", "S", "orders", "1,250 "]


def test_number_matches_its_look_behind_first_form() -> None:
    reference = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.]*\d)")
    for s in texts(NUMBERISH, 1):
        assert [(m.span(), m.group(1)) for m in NUMBER.finditer(s)] == [
            (m.span(), m.group(1)) for m in reference.finditer(s)
        ], s


def test_count_matches_its_look_behind_first_form() -> None:
    reference = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)\s+([a-z][a-z-]{2,})", re.I)
    for s in texts(NUMBERISH, 2):
        assert [(m.span(), m.groups()) for m in hallucination._COUNT.finditer(s)] == [
            (m.span(), m.groups()) for m in reference.finditer(s)
        ], s


def test_trigger_anchors_answer_as_testing_every_trigger() -> None:
    words = [*prompt_injection._TRIGGERS, "to the", "the ", "to ", "ing", " th", "x", "model", "sys", "your"]
    for s in texts(words, 3, longest=4):
        assert prompt_injection.has_trigger(s) == any(w in s for w in prompt_injection._TRIGGERS), s


def test_candidate_lines_are_the_multiline_patterns_matches() -> None:
    words = ["what ", "How ", "is", "\n", "\n\n", " ", "> ", "- ", "*", "\t", "please  write", "x", "in your"]
    words += ["your answer", "Respond", "the", "?", "WHEN", "\r\n", "İs", "ſ"]
    for s in texts(words, 4, longest=12):
        expected = [(m.start(), m.group(0)) for m in instructions._CANDIDATE.finditer(s)]
        assert instructions.candidate_lines(s) == expected, s


def test_keyword_hits_are_the_whole_word_searches() -> None:
    terms = ["call options", "options", "calls", "act", "section", "i be", "ye", "to the moon", "def"]
    words = [*terms, " ", "\n", "Options", "ACT", "x", "-", "_", "ſ", "\u212a", "é", "."]
    for s in texts(words, 5, longest=8):
        low = s.lower()
        expected = [t for t in terms if re.search(r"(?<!\w)" + re.escape(t.lower()) + r"(?!\w)", low)]
        assert keyword_hits(s, terms) == expected, s


def test_every_secret_pattern_match_holds_its_literal_words() -> None:
    """scan skips a case-sensitive pattern on a text without its words: no match can be lost."""
    samples = [
        "xoxb-1234-abcd",
        "ghp_abcdefgh1234",
        "github_pat_abcdefgh12",
        "sk_live_abcdef12",
        "rk_test_abcdef12",
        "sk-proj-abcdefghijklmnop12",
        "AKIAABCDEFGH",
        "ASIA12345678",
        "-----BEGIN RSA PRIVATE KEY-----",
        "eyJabcdefgh.eyJabcdefgh.abcdefgh12",
        "123456789:AAabcdefghijklmnopqrstuvwxyz012345",
    ]
    for kind, rx in pii.SECRET_PATTERNS:
        needs = pii._NEEDS.get(kind)
        if needs is None:
            continue
        hits = [s for s in samples if rx.search(s)]
        assert hits, kind  # the samples exercise every pattern that has a pre-test
        assert all(any(w in m.group(0) for w in needs) for s in hits for m in rx.finditer(s)), kind
    home = "She lives at 12 Baker Street, London. He moved to 4 Elm Road. Their address is 7 Oak Lane"
    assert [m.group("addr") for m in pii._HOME.finditer(home)] == [
        a.value for a in pii.scan(home) if a.type == "HOME_ADDRESS"
    ]
    assert all(any(w in m.group(0) for w in pii._HOME_WORDS) for m in pii._HOME.finditer(home))
