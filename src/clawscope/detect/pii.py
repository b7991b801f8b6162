"""Personal data and secrets in a text, found offline, with each matched span masked for evidence.

`channel_mismatch` asks "did the agent post someone's data or a secret into a group?". Offline, no
model, no NLP:

* phone numbers with Google's libphonenumber (`phonenumbers.PhoneNumberMatcher`, valid numbers only, in
  each configured region; exactly what Presidio's `PhoneRecognizer` runs) plus an international-format
  pattern checked with `phonenumbers.is_possible_number` (fictional-range numbers such as
  +44 7700 900xxx are "possible" but not "valid", and are still someone's number in a transcript);
* card numbers and IBANs with Presidio's patterns, kept only when the Luhn (`luhn_ok`) or ISO 13616
  mod-97 (`iban_ok`) checksum holds;
* e-mail addresses with Presidio's pattern.

The patterns are Presidio's (presidio-analyzer 2.2, `predefined_recognizers/generic`), copied here
rather than imported: `import presidio_analyzer` imports spaCy (the library: about 1.2 s of CPU), more
than detection's whole share of a cold ingest (≤ 25 %, bench/ingest.py), and its pattern recognisers
add nothing over a regular expression and the checksums below. Libphonenumber stays the library it
is. Secrets (chat/API tokens, cloud keys, private keys, `password=`) and birth dates and home addresses
given with a residential cue are plain patterns here. Every match comes back with its type, position
and a masked form; the raw value never leaves this module in evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IN", "CA", "BR", "AU", "NL", "ES", "IT")

# Chat/API tokens and keys (OpenClaw masks some of them as `abc…xyz`, still a leak of its prefix).
_K = r"[\w…*./+=-]"
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("SLACK_TOKEN", re.compile(r"\bxox[abposr]-" + _K + r"{3,}")),
    ("GITHUB_TOKEN", re.compile(r"\b(gh[pousr]_" + _K + r"{8,}|github_pat_" + _K + r"{8,})")),
    ("STRIPE_KEY", re.compile(r"\b[sr]k_(live|test)_" + _K + r"{6,}")),
    ("OPENAI_KEY", re.compile(r"\bsk-(proj-)?[A-Za-z0-9…*_-]{16,}")),
    ("AWS_ACCESS_KEY", re.compile(r"\b(AKIA|ASIA)[A-Z0-9…*]{6,}")),
    ("AWS_SECRET_KEY", re.compile(r"aws_secret_access_key\s*[=:]\s*\S{8,}", re.I)),
    ("PRIVATE_KEY", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("JWT", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")),
    ("TELEGRAM_BOT_TOKEN", re.compile(r"\b\d{8,10}:AA[\w-]{30,}")),
    (
        "PASSWORD",
        re.compile(
            r"\b(password|passwd|pwd|api[_ -]?key|secret|token)\b\s*(is|=|:)\s*[`'\"]?[\w…*!@#$%^&+/-]{6,}",
            re.I,
        ),
    ),
)
_DOB = re.compile(
    r"\b(born(\s+on)?|date of birth|d\.?o\.?b\.?|birthday)\s*:?\s*"
    r"(?P<date>\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(st|nd|rd|th)?\s+[A-Z][a-z]+\s+\d{4}|"
    r"[A-Z][a-z]+\s+\d{1,2},?\s+\d{4})",
    re.I,
)
_HOME = re.compile(
    r"\b(lives at|living at|lives in|home address( is)?|resides at|moved to|(his|her|their) address is)\s+"
    r"(?P<addr>\d+[A-Za-z]?,?\s+[A-Z][\w'-]*(\s+[A-Z][\w'-]*){0,3}(,\s*[A-Z][\w'-]*(\s+[A-Z0-9][\w'-]*){0,3})?)",
)
# Literal text every match of a case-sensitive pattern holds: a substring test skips the pattern on the
# many texts without it (the case-insensitive patterns have no such test: case folding is wider than
# `lower()`).
_NEEDS: dict[str, tuple[str, ...]] = {
    "SLACK_TOKEN": ("xox",),
    "GITHUB_TOKEN": ("gh",),
    "STRIPE_KEY": ("k_live_", "k_test_"),
    "OPENAI_KEY": ("sk-",),
    "AWS_ACCESS_KEY": ("AKIA", "ASIA"),
    "PRIVATE_KEY": ("-----BEGIN ",),
    "JWT": ("eyJ",),
    "TELEGRAM_BOT_TOKEN": (":AA",),
}
_HOME_WORDS = ("lives at", "living at", "lives in", "home address", "resides at", "moved to", "address is")
_INTL_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,5}){2,4}(?!\d)")


@dataclass(frozen=True)
class PiiMatch:
    type: str  # EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, DATE_OF_BIRTH, HOME_ADDRESS, <secret>
    start: int
    end: int
    value: str  # the raw span: for comparisons inside the detector only, never put in evidence
    secret: bool = False

    @property
    def masked(self) -> str:
        return mask(self.value, secret=self.secret)


def mask(value: str, *, secret: bool = False) -> str:
    """The span with its letters and digits starred: secrets keep a 4-character prefix, other data its
    last 2 characters (`4111 1111 1111 1111` → `**** **** **** **11`)."""
    if secret:
        head = value[:4]
        return head + re.sub(r"[^\s]", "*", value[4:])[:12]
    keep = 2 if len(value) > 6 else 0
    body, tail = value[: len(value) - keep], value[len(value) - keep :]
    return re.sub(r"[A-Za-z0-9]", "*", body) + tail


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a card number (separators ignored)."""
    ds = [int(c) for c in digits if c.isdigit()]
    if not 12 <= len(ds) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(ds)):
        total += (d * 2 - 9 if d > 4 else d * 2) if i % 2 else d
    return total % 10 == 0


def iban_ok(value: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    s = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


# Presidio 2.2's patterns (see the module docstring for why they are copied, not imported).
_EMAIL = re.compile(
    r"\b((([!#$%&'*+\-/=?^_`{|}~\w])|([!#$%&'*+\-/=?^_`{|}~\w][!#$%&'*+\-/=?^_`{|}~\.\w]{0,}"
    r"[!#$%&'*+\-/=?^_`{|}~\w]))[@]\w+(?:-+\w+)*(?:\.\w+(?:-+\w+)*)+)\b"
)
_CARD = re.compile(
    r"\b(?!1\d{12}(?!\d))((4\d{3})|(5[0-5]\d{2})|(6\d{3})|(1\d{3})|(3\d{3}))[- ]?(\d{3,4})[- ]?(\d{3,4})"
    r"[- ]?(\d{3,5})\b"
)
_IBAN = re.compile(
    r"(?<![A-Z0-9])([A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,6})((?:[ -]?[A-Z0-9]{4})?)"
    r"((?:[ -]?[A-Z0-9]{1,3})?)(?![A-Z0-9])"
)
# A run of at least 7 digits with phone separators: below it no region's matcher can find a number.
_PHONE_HINT = re.compile(r"\d(?:[\s().\-/]{0,3}\d){6}")
_IBAN_HINT = re.compile(r"[A-Z]{2}\d{2}")


def _phones(text: str, regions: Sequence[str]) -> list[PiiMatch]:
    """Valid phone numbers in any of the regions (libphonenumber's matcher), one match per span."""
    import phonenumbers  # its metadata loads lazily; only texts with a digit run pay for it

    seen: dict[tuple[int, int], PiiMatch] = {}
    # Only the lines with a digit run go through the matcher (a number never spans lines): its cost
    # grows with the text times the regions, and tool outputs are long.
    offset = 0
    for line in text.splitlines(keepends=True):
        if _PHONE_HINT.search(line):
            for region in regions:
                for m in phonenumbers.PhoneNumberMatcher(line, region, leniency=phonenumbers.Leniency.VALID):
                    span = (offset + m.start, offset + m.end)
                    seen.setdefault(span, PiiMatch("PHONE_NUMBER", *span, m.raw_string))
        offset += len(line)
    return sorted(seen.values(), key=lambda m: (m.start, m.end))


def _ibans(text: str) -> list[PiiMatch]:
    """IBANs with a valid checksum; as Presidio does, a match is shortened group by group from its end
    until one passes (`DE89 3704 0044 0532 0130 00 2` is the IBAN without the trailing 2)."""
    out = []
    for m in _IBAN.finditer(text):
        for group in (3, 2, 1):
            end = m.end(group) if m.end(group) > 0 else m.end(0)
            value = text[m.start(0) : end]
            if value and iban_ok(value):
                out.append(PiiMatch("IBAN_CODE", m.start(0), end, value))
                break
    return out


def _possible_phone(value: str) -> bool:
    import phonenumbers

    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(value, None)))
    except phonenumbers.NumberParseException:
        return False


def scan(text: str, *, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> list[PiiMatch]:
    """Every piece of personal data or secret in `text`, in order, overlaps resolved to the longest."""
    found: list[PiiMatch] = []
    if "@" in text:
        found += [PiiMatch("EMAIL_ADDRESS", m.start(), m.end(), m.group(0)) for m in _EMAIL.finditer(text)]
    if _PHONE_HINT.search(text):
        found += _phones(text, tuple(phone_regions))
        for m in _INTL_PHONE.finditer(text):
            if _possible_phone(m.group(0)):
                found.append(PiiMatch("PHONE_NUMBER", m.start(), m.end(), m.group(0)))
        found += [
            PiiMatch("CREDIT_CARD", m.start(), m.end(), m.group(0))
            for m in _CARD.finditer(text)
            if luhn_ok(m.group(0))
        ]
    if _IBAN_HINT.search(text):
        found += _ibans(text)
    for kind, rx in SECRET_PATTERNS:
        needs = _NEEDS.get(kind)
        if needs is not None and not any(w in text for w in needs):
            continue  # a case-sensitive pattern whose every match holds one of these words
        for m in rx.finditer(text):
            found.append(PiiMatch(kind, m.start(), m.end(), m.group(0), secret=True))
    for m in _DOB.finditer(text):
        found.append(PiiMatch("DATE_OF_BIRTH", m.start("date"), m.end("date"), m.group("date")))
    if any(w in text for w in _HOME_WORDS):
        for m in _HOME.finditer(text):
            found.append(PiiMatch("HOME_ADDRESS", m.start("addr"), m.end("addr"), m.group("addr")))
    return _longest(found)


def _longest(matches: list[PiiMatch]) -> list[PiiMatch]:
    """Overlaps resolved: a named kind beats the generic `PASSWORD` rule, then the longer span wins."""
    kept: list[PiiMatch] = []
    for m in sorted(matches, key=lambda m: (m.type == "PASSWORD", -(m.end - m.start), m.start)):
        if any(m.start < k.end and k.start < m.end for k in kept):
            continue
        kept.append(m)
    return sorted(kept, key=lambda m: m.start)
