"""Ed25519 keys as JWK/JWKS files and compact JWS, with a strict verifier.

The JWS is built by hand (about ten lines) because its bytes must match the PEAC TypeScript signer
exactly: header and payload are `JSON.stringify` output (insertion order), base64url without
padding, pure Ed25519 over `b64u(header) "." b64u(payload)`.

Verification is deliberately stricter than a generic JOSE library, following PEAC's verifier profile:
size cap (256 KiB), strict base64url, I-JSON segments (no duplicate keys, lone surrogates, unsafe
numbers), `alg` must be `EdDSA`, no embedded or indirect keys (`jwk/x5c/x5u/jku`), no `crit`, `zip`
or `b64:false`, a well-formed `kid`, the key chosen by `kid` only, canonical scalar `S < L`, and
the point encodings of the key `A` and of `R` checked against the invalid / small-order list before
the cofactorless check by OpenSSL. Every refusal carries its own error code.

Private key material is never logged or shown: `SigningKey.__repr__` hides it and key files are
created with mode 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from clawscope.audit.canonical import CanonicalError, b64u_decode, b64u_encode, check_ijson, loads, stringify
from clawscope.errors import ClawscopeError

ALG = "EdDSA"
MAX_JWS_BYTES = 256 * 1024
MAX_KID_BYTES = 256
FORBIDDEN_HEADERS = ("jwk", "x5c", "x5u", "jku", "crit", "zip")

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
# Canonical encodings (little-endian hex) of the 8 points of small order (the 8-torsion subgroup)
# and the two order-4L points PEAC's profile also refuses. Checked against curve arithmetic in tests.
_TORSION = frozenset(
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    )
)
_MIXED_ORDER = frozenset(
    bytes.fromhex(h)
    for h in (
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac0305",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac0385",
    )
)


class SigningError(ClawscopeError):
    """A key or a JWS was refused; `code` says exactly why (stable, shown to users)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.args[0]}"


# -- keys ---------------------------------------------------------------------------------------


def adapter_kid(x: str) -> str:
    """The PEAC OpenClaw adapter's key id: a Java-style 32-bit string hash of the JWK `x` member."""
    h = 0
    units = x.encode("utf-16-le", "surrogatepass")  # JavaScript hashes UTF-16 code units
    for i in range(0, len(units), 2):
        h = (h * 31 + int.from_bytes(units[i : i + 2], "little")) & 0xFFFFFFFF
    if h >= 2**31:
        h -= 2**32
    return f"k_{abs(h):08x}"


def point_rejection(encoding: bytes) -> str | None:
    """Why an Ed25519 point encoding is inadmissible under PEAC's profile, or None if it may be used."""
    if len(encoding) != 32:
        return "wrong length"
    y = int.from_bytes(encoding, "little") & ((1 << 255) - 1)
    if y >= _P:
        return "y coordinate not reduced"
    if encoding[31] & 0x80 and y in (1, _P - 1):
        return "x = 0 encoded with the sign bit set"
    if encoding in _TORSION:
        return "point of small order"
    if encoding in _MIXED_ORDER:
        return "mixed-order point refused by the PEAC profile"
    return None


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 verification key with its `kid`."""

    kid: str
    raw: bytes

    @property
    def x(self) -> str:
        return b64u_encode(self.raw)

    def jwk(self) -> dict[str, Any]:
        """Public JWK in the member order the PEAC adapter writes."""
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "alg": ALG, "use": "sig"}

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != 64 or point_rejection(signature[:32]) is not None:
            return False
        if int.from_bytes(signature[32:], "little") >= _L:
            return False  # non-canonical S: a malleated copy of a valid signature
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 signing key (32-byte seed). Its repr never shows the seed."""

    kid: str
    seed: bytes = field(repr=False)
    public: PublicKey = field(repr=False)

    @classmethod
    def from_seed(cls, seed: bytes, kid: str | None = None) -> SigningKey:
        if len(seed) != 32:
            raise SigningError("E_KEY_INVALID", "an Ed25519 private key (d) must be 32 bytes")
        raw = (
            Ed25519PrivateKey.from_private_bytes(seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        kid = kid if kid is not None else adapter_kid(b64u_encode(raw))
        return cls(kid, seed, PublicKey(kid, raw))

    @classmethod
    def generate(cls) -> SigningKey:
        seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls.from_seed(seed)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    def jwk(self) -> dict[str, Any]:
        """Private JWK in the member order the PEAC adapter's keygen writes."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.public.x,
            "d": b64u_encode(self.seed),
            "alg": ALG,
            "use": "sig",
            "kid": self.kid,
        }


def valid_kid(kid: Any) -> bool:
    """Non-empty, well-formed Unicode, at most 256 UTF-8 bytes (the PEAC kid profile)."""
    if not isinstance(kid, str) or not kid:
        return False
    try:
        return len(kid.encode("utf-8")) <= MAX_KID_BYTES
    except UnicodeEncodeError:
        return False


def _public_from_jwk(jwk: Any, where: str) -> PublicKey:
    if not isinstance(jwk, dict):
        raise SigningError("E_KEY_INVALID", f"{where}: a JWK must be a JSON object")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise SigningError("E_KEY_INVALID", f"{where}: only OKP/Ed25519 keys are accepted")
    if "alg" in jwk and jwk["alg"] != ALG:
        raise SigningError("E_KEY_INVALID", f"{where}: key alg is {jwk['alg']!r}, expected EdDSA")
    if "use" in jwk and jwk["use"] != "sig":
        raise SigningError("E_KEY_INVALID", f"{where}: key use is {jwk['use']!r}, expected sig")
    x = jwk.get("x")
    try:
        raw = b64u_decode(x if isinstance(x, str) else "!")
    except CanonicalError:
        raise SigningError("E_KEY_INVALID", f"{where}: x is not base64url") from None
    why = point_rejection(raw)
    if why is not None:
        raise SigningError("E_KEY_INVALID", f"{where}: public key refused ({why})")
    kid = jwk.get("kid", adapter_kid(b64u_encode(raw)))
    if not valid_kid(kid):
        raise SigningError("E_KEY_INVALID", f"{where}: kid must be a non-empty string of at most 256 bytes")
    return PublicKey(kid, raw)


def _read_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError("E_KEY_UNREADABLE", f"cannot read key file {path}: {exc.strerror}") from None
    try:
        return loads(data, strict=True)
    except CanonicalError as exc:
        raise SigningError("E_KEY_INVALID", f"{path}: {exc}") from None


def load_signing_key(path: Path) -> SigningKey:
    """Read a private Ed25519 JWK file; the key's own `kid` is kept, else the adapter kid is used."""
    jwk = _read_json(path)
    public = _public_from_jwk(jwk, str(path))
    d = jwk.get("d") if isinstance(jwk, dict) else None
    if not isinstance(d, str):
        raise SigningError("E_KEY_NOT_PRIVATE", f"{path}: not a private key (no d member)")
    try:
        key = SigningKey.from_seed(b64u_decode(d), public.kid)
    except CanonicalError:
        raise SigningError("E_KEY_INVALID", f"{path}: d is not base64url") from None
    if key.public.raw != public.raw:
        raise SigningError("E_KEY_INVALID", f"{path}: x does not belong to d")
    return key


def key_file_warning(path: Path) -> str | None:
    """A warning when a private key file is readable by group or others (never fatal)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & 0o077:
        return f"{path} is accessible by other users (mode {mode & 0o777:o}); run chmod 600 {path}"
    return None


class KeySet:
    """Verification keys selected by `kid` only (never by trying every key)."""

    def __init__(self, keys: list[PublicKey]) -> None:
        self.keys = {k.kid: k for k in keys}
        if len(self.keys) != len(keys):
            raise SigningError("E_KEY_INVALID", "two keys share one kid")

    def find(self, kid: str) -> PublicKey:
        try:
            return self.keys[kid]
        except KeyError:
            raise SigningError("E_KEY_NOT_FOUND", f"no verification key with kid {kid!r}") from None

    @classmethod
    def from_json(cls, doc: Any, where: str) -> KeySet:
        """A public JWK or a JWKS; private material is refused so secrets are never shared by mistake."""
        members = doc.get("keys") if isinstance(doc, dict) and "keys" in doc else [doc]
        if not isinstance(members, list) or not members:
            raise SigningError("E_KEY_INVALID", f"{where}: keys must be a non-empty array")
        for jwk in members:
            if isinstance(jwk, dict) and "d" in jwk:
                raise SigningError(
                    "E_KEY_PRIVATE_MATERIAL", f"{where}: contains private key material; pass the public key"
                )
        return cls([_public_from_jwk(jwk, where) for jwk in members])

    @classmethod
    def load(cls, path: Path) -> KeySet:
        return cls.from_json(_read_json(path), str(path))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.keys.values()]}


def save_signing_key(path: Path, key: SigningKey) -> Path:
    """Write the private JWK with mode 0600 (never overwriting) and its public JWK next to it."""
    data = (stringify(key.jwk(), 2) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningError("E_KEY_EXISTS", f"{path} already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise SigningError("E_KEY_UNREADABLE", f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    public_path = path.with_name(path.name.removesuffix(".jwk") + ".public.jwk")
    public_path.write_text(stringify(key.public.jwk(), 2) + "\n", encoding="utf-8")
    return public_path


# -- compact JWS --------------------------------------------------------------------------------


def sign_compact(header: dict[str, Any], payload: dict[str, Any], key: SigningKey) -> str:
    """Compact JWS of `payload` under `header` (both serialized like JSON.stringify, I-JSON checked)."""
    try:
        check_ijson(header)
        check_ijson(payload)
    except CanonicalError as exc:
        raise SigningError("E_IJSON_VIOLATION", f"cannot sign: {exc}") from None
    signing_input = b64u_encode(stringify(header).encode()) + "." + b64u_encode(stringify(payload).encode())
    return signing_input + "." + b64u_encode(key.sign(signing_input.encode("ascii")))


@dataclass(frozen=True)
class Compact:
    """A structurally valid compact JWS whose signature is not checked yet."""

    token: str
    header: dict[str, Any]
    payload: dict[str, Any]
    signature: bytes

    @property
    def signing_input(self) -> bytes:
        return self.token.rsplit(".", 1)[0].encode("ascii")

    @property
    def kid(self) -> str:
        return str(self.header["kid"])


def decode_compact(token: str, allowed_typ: frozenset[str | None]) -> Compact:
    """Parse and structurally check a compact JWS (no signature check yet)."""
    if len(token.encode("utf-8", "surrogatepass")) > MAX_JWS_BYTES:
        raise SigningError("E_JWS_TOO_LARGE", f"JWS exceeds {MAX_JWS_BYTES} bytes")
    parts = token.split(".")
    if len(parts) != 3:
        raise SigningError("E_JWS_MALFORMED", "a compact JWS has three dot-separated parts")
    header = _segment(parts[0], "header")
    payload = _segment(parts[1], "payload")
    if header.get("alg") != ALG:
        raise SigningError("E_JWS_ALG", f"alg must be EdDSA, got {header.get('alg')!r}")
    if header.get("typ") not in allowed_typ:
        raise SigningError("E_JWS_TYP", f"typ {header.get('typ')!r} is not accepted here")
    for name in FORBIDDEN_HEADERS:
        if name in header:
            raise SigningError("E_JWS_FORBIDDEN_HEADER", f"header member {name!r} is not permitted")
    if header.get("b64") is False:
        raise SigningError("E_JWS_FORBIDDEN_HEADER", "b64:false (unencoded payload) is not permitted")
    if not valid_kid(header.get("kid")):
        raise SigningError("E_JWS_KID", "kid is missing, empty or longer than 256 bytes")
    try:
        signature = b64u_decode(parts[2])
    except CanonicalError:
        raise SigningError("E_JWS_MALFORMED", "signature is not base64url") from None
    if len(signature) != 64:
        raise SigningError("E_SIGNATURE_INVALID", "an Ed25519 signature has 64 bytes")
    return Compact(token, header, payload, signature)


def _segment(text: str, name: str) -> dict[str, Any]:
    try:
        value = loads(b64u_decode(text), strict=True)
    except CanonicalError as exc:
        malformed = exc.reason in ("invalid_base64url", "invalid_json", "invalid_utf8")
        code = "E_JWS_MALFORMED" if malformed else "E_IJSON_VIOLATION"
        raise SigningError(code, f"JWS {name}: {exc}") from None
    if not isinstance(value, dict):
        raise SigningError("E_JWS_MALFORMED", f"JWS {name} is not a JSON object")
    return value


def verify_compact(jws: Compact, keys: KeySet) -> PublicKey:
    """Check the signature with the key named by `kid`; return that key or raise SigningError."""
    key = keys.find(jws.kid)
    if point_rejection(jws.signature[:32]) is not None:
        raise SigningError("E_SIGNATURE_INVALID", "signature R is an invalid or small-order point")
    if int.from_bytes(jws.signature[32:], "little") >= _L:
        raise SigningError("E_SIGNATURE_INVALID", "signature scalar S is not reduced (S >= L)")
    if not key.verify(jws.signature, jws.signing_input):
        raise SigningError("E_SIGNATURE_INVALID", f"Ed25519 signature does not verify with key {key.kid}")
    return key
