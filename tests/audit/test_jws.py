"""Ed25519 JWK/JWKS files and compact JWS: byte parity with PEAC, and the strict verifier profile."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
import warnings
from pathlib import Path

import jwt as pyjwt
import pytest
from joserfc import jws as jose_jws
from joserfc.jwk import OKPKey

from clawscope.audit.canonical import b64u_decode, b64u_encode, stringify
from clawscope.audit.jws import (
    _L,
    _MIXED_ORDER,
    _TORSION,
    KeySet,
    SigningError,
    SigningKey,
    adapter_kid,
    decode_compact,
    key_file_warning,
    load_signing_key,
    point_rejection,
    save_signing_key,
    sign_compact,
    verify_compact,
)
from tests.support.vectors import VECTORS

TYP01 = frozenset({"peac-receipt/0.1"})


@pytest.fixture
def vector_key() -> SigningKey:
    return load_signing_key(VECTORS / "keys" / "signing-key.TEST-ONLY.jwk")


def decoded() -> list[dict[str, str]]:
    return json.loads((VECTORS / "expected" / "receipts-decoded.json").read_text())


def test_vector_key_is_the_documented_seed_with_the_adapter_kid(vector_key: SigningKey) -> None:
    assert vector_key.seed == hashlib.sha256(b"peac-openclaw-interop-vectors/v1/test-key").digest()
    assert vector_key.kid == "k_560d1e49" == adapter_kid(vector_key.public.x)
    assert stringify(vector_key.public.jwk(), 2) + "\n" == (VECTORS / "keys" / "public.jwk").read_text()
    assert (
        stringify(vector_key.jwk(), 2) + "\n" == (VECTORS / "keys" / "signing-key.TEST-ONLY.jwk").read_text()
    )


def test_repr_never_shows_the_private_key(vector_key: SigningKey) -> None:
    assert b64u_encode(vector_key.seed) not in repr(vector_key)
    assert vector_key.seed.hex() not in repr(vector_key)


@pytest.mark.parametrize("item", decoded(), ids=lambda d: d["file"])
def test_signing_reproduces_the_upstream_jws(vector_key: SigningKey, item: dict[str, str]) -> None:
    token = sign_compact(json.loads(item["header_json"]), json.loads(item["payload_json"]), vector_key)
    head, payload, sig = token.split(".")
    assert b64u_decode(head).decode() == item["header_json"]
    assert b64u_decode(payload).decode() == item["payload_json"]
    assert hashlib.sha256(f"{head}.{payload}".encode()).hexdigest() == item["signing_input_sha256"]
    assert sig == item["signature_b64url"]  # Ed25519 is deterministic: same key, same input, same bytes


def test_adapter_kid_wraps_like_javascript_int32() -> None:
    # h = h*31 + c in int32; abs(); 8 hex digits, zero padded
    assert adapter_kid("") == "k_00000000"
    assert adapter_kid("a") == "k_00000061"
    assert adapter_kid("Uv9Vixjrh8zohWJpAjorzPB4HWB56Uu9ndEe_k-FNIg") == "k_560d1e49"


def test_independent_libraries_verify_our_tokens(vector_key: SigningKey) -> None:
    token = (
        (VECTORS / "wire02" / "receipts-jws" / "r_889b8a680561cdcdb0f1e42692888168.jws").read_text().strip()
    )
    public = json.loads((VECTORS / "keys" / "public.jwk").read_text())
    claims = pyjwt.decode(token, pyjwt.PyJWK(public).key, algorithms=["EdDSA"], options={"verify_iat": False})
    assert claims["jti"] == "r_889b8a680561cdcdb0f1e42692888168"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc: "EdDSA is deprecated via RFC 9864"; PEAC requires EdDSA
        obj = jose_jws.deserialize_compact(token, OKPKey.import_key(public), algorithms=["EdDSA"])
    assert json.loads(obj.payload)["peac_version"] == "0.2"


# -- Ed25519 admissibility ------------------------------------------------------------------------

P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P


def _decode_point(enc: bytes) -> tuple[int, int] | None:
    y = int.from_bytes(enc, "little") & ((1 << 255) - 1)
    sign = enc[31] >> 7
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = pow(u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P), 1, P)
    if (v * x * x - u) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    if (v * x * x - u) % P:
        return None
    if x & 1 != sign:
        x = P - x
    return (x % P, y)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P)


def _times8(p: tuple[int, int]) -> tuple[int, int]:
    for _ in range(3):
        p = _add(p, p)
    return p


def test_the_torsion_table_is_exactly_the_points_of_small_order() -> None:
    for enc in _TORSION:
        point = _decode_point(enc)
        assert point is not None, enc.hex()
        assert _times8(point) == (0, 1), enc.hex()
    for enc in _MIXED_ORDER:  # valid points with a small-order component, not themselves small order
        point = _decode_point(enc)
        assert point is not None
        assert _times8(point) != (0, 1)
    assert len(_TORSION) == 8


def test_point_rejections() -> None:
    assert point_rejection(bytes(32)) == "point of small order"
    assert point_rejection(b"\xff" * 31 + b"\x7f") == "y coordinate not reduced"
    assert point_rejection(b"\x01" + bytes(30) + b"\x80") == "x = 0 encoded with the sign bit set"
    assert point_rejection(b"\x01" * 31) == "wrong length"
    assert point_rejection(SigningKey.generate().public.raw) is None


def test_malleated_signature_s_plus_l_is_rejected(vector_key: SigningKey) -> None:
    token = sign_compact(
        {"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": vector_key.kid}, {"a": 1}, vector_key
    )
    head, payload, sig = token.split(".")
    raw = b64u_decode(sig)
    s = int.from_bytes(raw[32:], "little") + _L  # same signature equation, non-canonical scalar
    forged = f"{head}.{payload}.{b64u_encode(raw[:32] + s.to_bytes(32, 'little'))}"
    keys = KeySet([vector_key.public])
    verify_compact(decode_compact(token, TYP01), keys)
    with pytest.raises(SigningError) as exc:
        verify_compact(decode_compact(forged, TYP01), keys)
    assert exc.value.code == "E_SIGNATURE_INVALID"


def test_small_order_public_key_is_refused() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(bytes(32))}
    with pytest.raises(SigningError) as exc:
        KeySet.from_json(jwk, "test")
    assert exc.value.code == "E_KEY_INVALID"


# -- structural refusals ---------------------------------------------------------------------------


def _token(header: dict[str, object], payload: dict[str, object], key: SigningKey) -> str:
    head = b64u_encode(json.dumps(header, separators=(",", ":")).encode())
    body = b64u_encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{head}.{body}.{b64u_encode(key.sign(f'{head}.{body}'.encode()))}"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"typ": "peac-receipt/0.1", "alg": "none", "kid": "k"}, "E_JWS_ALG"),
        ({"typ": "peac-receipt/0.1", "alg": "HS256", "kid": "k"}, "E_JWS_ALG"),
        ({"typ": "JWT", "alg": "EdDSA", "kid": "k"}, "E_JWS_TYP"),
        ({"alg": "EdDSA", "kid": "k"}, "E_JWS_TYP"),
        ({"typ": "peac-receipt/0.1", "alg": "EdDSA"}, "E_JWS_KID"),
        ({"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": ""}, "E_JWS_KID"),
        ({"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": "k" * 257}, "E_JWS_KID"),
        ({"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": "k", "jwk": {}}, "E_JWS_FORBIDDEN_HEADER"),
        (
            {"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": "k", "jku": "https://x"},
            "E_JWS_FORBIDDEN_HEADER",
        ),
        ({"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": "k", "crit": ["b64"]}, "E_JWS_FORBIDDEN_HEADER"),
        ({"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": "k", "zip": "DEF"}, "E_JWS_FORBIDDEN_HEADER"),
        ({"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": "k", "b64": False}, "E_JWS_FORBIDDEN_HEADER"),
    ],
)
def test_header_refusals(vector_key: SigningKey, header: dict[str, object], code: str) -> None:
    with pytest.raises(SigningError) as exc:
        decode_compact(_token(header, {"a": 1}, vector_key), TYP01)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("a.b", "E_JWS_MALFORMED"),
        ("a.b.c.d", "E_JWS_MALFORMED"),
        ("eyJ=.e30.AA", "E_JWS_MALFORMED"),
        ("x" * (256 * 1024 + 1), "E_JWS_TOO_LARGE"),
    ],
)
def test_malformed_tokens(token: str, code: str) -> None:
    with pytest.raises(SigningError) as exc:
        decode_compact(token, TYP01)
    assert exc.value.code == code


def test_duplicate_member_in_a_signed_payload_is_an_ijson_violation(vector_key: SigningKey) -> None:
    head = b64u_encode(b'{"typ":"peac-receipt/0.1","alg":"EdDSA","kid":"k_560d1e49"}')
    body = b64u_encode(b'{"rid":"a","rid":"b"}')
    token = f"{head}.{body}.{b64u_encode(vector_key.sign(f'{head}.{body}'.encode()))}"
    with pytest.raises(SigningError) as exc:
        decode_compact(token, TYP01)
    assert exc.value.code == "E_IJSON_VIOLATION"


def test_hmac_key_confusion_is_impossible(vector_key: SigningKey) -> None:
    # The classic attack: HS256 "signed" with the public key bytes as the HMAC secret.
    head = b64u_encode(b'{"typ":"peac-receipt/0.1","alg":"HS256","kid":"k_560d1e49"}')
    body = b64u_encode(b'{"a":1}')
    mac = hmac.new(vector_key.public.raw, f"{head}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(SigningError) as exc:
        decode_compact(f"{head}.{body}.{b64u_encode(mac)}", TYP01)
    assert exc.value.code == "E_JWS_ALG"


def test_keys_are_chosen_by_kid_only(vector_key: SigningKey) -> None:
    token = sign_compact(
        {"typ": "peac-receipt/0.1", "alg": "EdDSA", "kid": vector_key.kid}, {"a": 1}, vector_key
    )
    other = SigningKey.generate()
    with pytest.raises(SigningError) as exc:
        verify_compact(decode_compact(token, TYP01), KeySet([other.public]))
    assert exc.value.code == "E_KEY_NOT_FOUND"
    impostor = SigningKey.from_seed(other.seed, kid=vector_key.kid)  # right kid, wrong key
    with pytest.raises(SigningError) as exc:
        verify_compact(decode_compact(token, TYP01), KeySet([impostor.public]))
    assert exc.value.code == "E_SIGNATURE_INVALID"


# -- key files --------------------------------------------------------------------------------------


def test_public_key_files_refuse_private_material() -> None:
    with pytest.raises(SigningError) as exc:
        KeySet.load(VECTORS / "keys" / "signing-key.TEST-ONLY.jwk")
    assert exc.value.code == "E_KEY_PRIVATE_MATERIAL"
    assert list(KeySet.load(VECTORS / "keys" / "jwks.json").keys) == ["k_560d1e49"]
    assert list(KeySet.load(VECTORS / "keys" / "public.jwk").keys) == ["k_560d1e49"]


def test_saved_keys_are_private_and_never_overwritten(tmp_path: Path) -> None:
    key = SigningKey.generate()
    public = save_signing_key(tmp_path / "k.jwk", key)
    assert stat.S_IMODE((tmp_path / "k.jwk").stat().st_mode) == 0o600
    assert key_file_warning(tmp_path / "k.jwk") is None
    assert load_signing_key(tmp_path / "k.jwk").seed == key.seed
    assert KeySet.load(public).find(key.kid).raw == key.public.raw
    with pytest.raises(SigningError) as exc:
        save_signing_key(tmp_path / "k.jwk", SigningKey.generate())
    assert exc.value.code == "E_KEY_EXISTS"
    (tmp_path / "k.jwk").chmod(0o644)
    assert "chmod 600" in (key_file_warning(tmp_path / "k.jwk") or "")


def test_a_key_whose_x_does_not_match_d_is_refused(tmp_path: Path) -> None:
    jwk = SigningKey.generate().jwk() | {"x": SigningKey.generate().public.x}
    (tmp_path / "bad.jwk").write_text(json.dumps(jwk))
    with pytest.raises(SigningError) as exc:
        load_signing_key(tmp_path / "bad.jwk")
    assert exc.value.code == "E_KEY_INVALID"
