"""Stopping a runaway session: the rule action `abort_session` (off unless a rule opts in) asks the OpenClaw
gateway that runs the session to abort it with its `chat.abort` RPC, so a budget or loop alert can end
the spend, not only report it.

The action is one more delivery of the alert (channel id `ABORT`): it goes through the outbox like a
message, so it is claimed by one process, retried with backoff, and every attempt is recorded (worker,
status, error, latency) next to the alert that triggered it (rule, scope, session, value).

Which gateway: the registered OpenClaw instance the session came from (its gateway URL and token, the
token stored sealed), else the local gateway of this machine's OpenClaw state dir (`openclaw.json`:
`gateway.port`, `gateway.auth.token`, or `OPENCLAW_GATEWAY_TOKEN`). The protocol (format doc §3): the
gateway sends `connect.challenge`, the client answers `connect` (role operator, scopes, the token) and
gets `hello-ok`, then sends `{type:"req", method:"chat.abort", params:{sessionKey}}`. On loopback with the
shared token the client connects as OpenClaw's own CLI does (`openclaw gateway call`: no device
identity); a remote gateway also gets a signed device identity (Ed25519, derived from a server secret so
every process and restart is the same device), which its owner approves once (`openclaw devices approve`).

Written on the `websockets` client, not an OpenClaw SDK: there is none for Python.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from clawscope import __version__
from clawscope.sources.agent_config import read_config
from clawscope.sources.layout import discover_state_dirs
from clawscope.store import AlertRecord, Store

ABORT = "action:chat.abort"  # the outbox channel id of the action
DEFAULT_PORT = 18789
# chat.abort of a run another client started needs operator.admin (its owner check,
# src/gateway/chat-abort: `canRequesterAbortChatRun`); the shared gateway token grants it
SCOPES = ("operator.read", "operator.write", "operator.admin")


class GatewayError(Exception):
    """The gateway could not be found, reached, or refused the request (the message says which)."""


@dataclass(frozen=True)
class Gateway:
    url: str  # ws:// or wss://
    token: str | None
    origin: str  # where the URL and token came from, for the record


def find_gateway(
    store: Store, instance: str | None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> Gateway:
    """The gateway of the session's instance (registered), else this machine's local one."""
    for inst in store.remote.instances():
        if instance and instance in (inst.instance_id, inst.name):
            token = store.remote.gateway_token(inst.instance_id)
            return Gateway(ws_url(inst.gateway_url), token, f"registered instance {inst.name!r}")
    env = os.environ if env is None else env
    for state_dir in discover_state_dirs(env, Path.home() if home is None else home):
        cfg = read_config(state_dir)
        if not cfg:
            continue
        gw = _obj(cfg.get("gateway"))
        auth = _obj(gw.get("auth"))
        port = gw.get("port", DEFAULT_PORT)
        token = auth.get("token") if isinstance(auth.get("token"), str) else env.get("OPENCLAW_GATEWAY_TOKEN")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise GatewayError(f"gateway.port in {state_dir}/openclaw.json is not a port: {port!r}")
        return Gateway(f"ws://127.0.0.1:{port}", token, f"local gateway of {state_dir}")
    raise GatewayError(
        f"no gateway known for instance {instance!r}: register the instance with its gateway URL and token "
        "(clawscope remote / the OpenClaw page), or run clawscope on the gateway's host"
    )


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def ws_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.hostname:
        raise GatewayError(f"not a gateway URL: {url!r}")
    return urlunsplit((scheme, parts.netloc, parts.path or "/", "", ""))


def loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def device_key(store: Store) -> Ed25519PrivateKey:
    """clawscope's device key for gateways: the same in every process on this database."""
    seed = hashlib.sha256(store.keys.server_secret("openclaw-device").encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class GatewayClient:
    """One connection to a gateway: `call(method, params)` after the handshake."""

    def __init__(self, gw: Gateway, key: Ed25519PrivateKey | None, timeout_s: float = 10.0) -> None:
        self.gw = gw
        self.key = key
        self.timeout_s = timeout_s
        self.ws: ClientConnection | None = None

    def __enter__(self) -> GatewayClient:
        try:
            self.ws = connect(self.gw.url, open_timeout=self.timeout_s, close_timeout=2, max_size=2**24)
            self._handshake()
        except (OSError, TimeoutError, WebSocketException) as exc:
            self.close()
            raise GatewayError(
                f"cannot reach the gateway at {self.gw.url}: {exc.__class__.__name__}: {exc}"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def _recv(self) -> dict[str, Any]:
        assert self.ws is not None
        frame = orjson.loads(self.ws.recv(timeout=self.timeout_s))
        if not isinstance(frame, dict):
            raise GatewayError("the gateway sent a frame that is not an object")
        return frame

    def _handshake(self) -> None:
        first = self._recv()
        if first.get("type") != "event" or first.get("event") != "connect.challenge":
            raise GatewayError(f"expected connect.challenge, got {first.get('type')}/{first.get('event')}")
        challenge = first.get("payload") or {}
        nonce, ts = challenge.get("nonce"), challenge.get("ts")
        cli = loopback(self.gw.url) and self.gw.token is not None
        client = {"id": "cli", "version": __version__, "platform": sys.platform, "mode": "cli"}
        if not cli:
            client |= {"id": "gateway-client", "mode": "backend"}
        params: dict[str, Any] = {
            "minProtocol": 3, "maxProtocol": 4, "client": client, "role": "operator", "scopes": list(SCOPES),
            "caps": [], "userAgent": f"clawscope/{__version__}",
        }  # fmt: skip
        if self.gw.token:
            params["auth"] = {"token": self.gw.token}
        if not cli and self.key is not None and isinstance(nonce, str) and isinstance(ts, int):
            params["device"] = self._device(client, nonce, ts)
        self._request("connect", params)

    def _device(self, client: dict[str, str], nonce: str, ts: int) -> dict[str, Any]:
        assert self.key is not None
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        device_id = hashlib.sha256(raw).hexdigest()
        # OpenClaw's v3 device-auth payload (packages/gateway-client/src/device-auth.ts)
        signed = "|".join(
            ["v3", device_id, client["id"], client["mode"], "operator", ",".join(SCOPES), str(ts),
             self.gw.token or "", nonce, client["platform"].strip().lower(), ""]
        )  # fmt: skip
        sig = _b64url(self.key.sign(signed.encode()))
        return {"id": device_id, "publicKey": _b64url(raw), "signature": sig, "signedAt": ts, "nonce": nonce}

    def _request(self, method: str, params: dict[str, Any]) -> Any:
        assert self.ws is not None
        rid = uuid.uuid4().hex
        self.ws.send(orjson.dumps({"type": "req", "id": rid, "method": method, "params": params}).decode())
        while True:  # events (ticks, presence) may come first
            frame = self._recv()
            if frame.get("type") == "res" and frame.get("id") == rid:
                break
        if not frame.get("ok"):
            err = frame.get("error") or {}
            detail = err.get("message") if isinstance(err, dict) else err
            code = err.get("code") if isinstance(err, dict) else None
            raise GatewayError(f"the gateway refused {method}: {code or 'error'}: {detail}")
        return frame.get("payload")

    def call(self, method: str, params: dict[str, Any]) -> Any:
        try:
            return self._request(method, params)
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise GatewayError(f"{method} at {self.gw.url}: {exc.__class__.__name__}: {exc}") from None


def abort_session(store: Store, alert: AlertRecord, timeout_s: float = 10.0) -> dict[str, Any]:
    """Ask the session's gateway to abort it (the alert's `detail` names the session); what it answered."""
    key, instance = alert.detail.get("key"), alert.detail.get("instance")
    sid = alert.detail.get("sessionId")
    if (not key or not instance) and isinstance(sid, str):  # a finding names its session only
        row = store.sessions.one(sid)
        if row is not None:
            key, instance = key or row.get("key"), instance or row.get("instance")
    if not isinstance(key, str) or not key:
        raise GatewayError(f"the alert names no session key to abort (rule {alert.rule_id}, {alert.scope})")
    gw = find_gateway(store, instance if isinstance(instance, str) else None)
    with GatewayClient(gw, device_key(store), timeout_s) as client:
        answer = client.call("chat.abort", {"sessionKey": key})
    return {"gateway": gw.url, "from": gw.origin, "sessionKey": key, "answer": answer}
