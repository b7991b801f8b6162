"""The one webhook HMAC: signatures checked against an independent computation, verification, freshness."""

from __future__ import annotations

import hashlib
import hmac

from clawscope import webhooks


def _oracle(secret: bytes, message: bytes) -> str:
    return "sha256=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def test_both_schemes_match_an_independent_hmac() -> None:
    body = b'{"session_id": "s"}'
    assert webhooks.signature(b"k", body) == _oracle(b"k", body)
    assert webhooks.signature(b"k", body, timestamp="1700000000") == _oracle(b"k", b"1700000000." + body)


def test_verify_accepts_only_the_exact_bytes_and_secret() -> None:
    body = b'{"a": 1}'
    sig = webhooks.signature(b"secret", body, timestamp="12")
    assert webhooks.verify(b"secret", body, sig, timestamp="12")
    assert webhooks.verify(b"secret", body, f"  {sig} ", timestamp="12")  # header whitespace
    assert not webhooks.verify(b"secret", body + b" ", sig, timestamp="12")
    assert not webhooks.verify(b"other", body, sig, timestamp="12")
    assert not webhooks.verify(b"secret", body, sig, timestamp="13")
    assert not webhooks.verify(b"secret", body, sig.replace("sha256=", "sha1="), timestamp="12")
    assert not webhooks.verify(b"secret", body, "", timestamp="12")


def test_fresh_timestamps() -> None:
    assert webhooks.fresh("1000", 1005.0, 10)
    assert webhooks.fresh("1010", 1000.0, 10)
    assert not webhooks.fresh("989", 1000.0, 10)
    assert not webhooks.fresh("", 1000.0, 10)
    assert not webhooks.fresh("-5", 1000.0, 10)
    assert not webhooks.fresh("1e3", 1000.0, 10)


def test_signed_headers_sign_the_body_now() -> None:
    h = webhooks.signed_headers(b"s", b"body", 1234.9)
    assert h[webhooks.TIMESTAMP_HEADER] == "1234"
    assert h[webhooks.SIGNATURE_HEADER] == _oracle(b"s", b"1234.body")
    assert len(h[webhooks.NONCE_HEADER]) >= 16
    assert webhooks.signed_headers(b"s", b"body", 1234.9)[webhooks.NONCE_HEADER] != h[webhooks.NONCE_HEADER]
