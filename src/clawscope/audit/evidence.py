"""InteractionEvidence v0.1: built from a spool entry, and validated strictly.

`to_evidence` is the exact equivalent of PEAC capture-core `toInteractionEvidence` (key order
`interaction_id, kind, executor, started_at, tool, resource, input, output, completed_at,
duration_ms, result, policy, extensions`; metadata keys that look namespaced go straight into
`extensions`, the others under `org.peacprotocol/capture-metadata@0.1`).

`validate_evidence` follows the spec's ordered validation (PEAC `validateInteractionOrdered`):
required fields, digests, timing, output/result, error detail, extension keys, target, then the
strict schema (unknown members and wrong types are errors). Its error codes are PEAC's
`E_INTERACTION_*`. One deliberate difference: RFC 3339 offsets are accepted with a warning, because
the upstream adapter itself emits them while the schema wants `Z`.
"""

from __future__ import annotations

import re
from typing import Any

from clawscope.audit.errors import Notice, WarningCode
from clawscope.audit.events import instant

EXTENSION_KEY = re.compile(
    r"^([a-z0-9-]+\.)+[a-z0-9-]+/[a-z][a-z0-9._:-]{0,126}[a-z0-9](?:@[0-9]+(?:\.[0-9]+)*)?$"
)
_NAMESPACED = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+/")
_KIND = re.compile(r"^[a-z][a-z0-9._:-]{0,126}[a-z0-9]$")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")
CAPTURE_METADATA = "org.peacprotocol/capture-metadata@0.1"
WELL_KNOWN_KINDS = (
    "tool.call",
    "http.request",
    "fs.read",
    "fs.write",
    "message",
    "inference.chat_completion",
)
DIGEST_ALGS = ("sha-256", "sha-256:trunc-64k", "sha-256:trunc-1m")
STATUSES = ("ok", "error", "timeout", "canceled")
REDACTIONS = ("hash_only", "redacted", "plaintext_allowlisted")
_SHAPES: dict[str, dict[str, tuple[type, int | None]]] = {
    "executor": {
        "platform": (str, 64),
        "version": (str, 64),
        "plugin_id": (str, 128),
        "plugin_digest": (dict, None),
    },
    "tool": {"name": (str, 256), "provider": (str, 128), "version": (str, 64)},
    "resource": {"uri": (str, 2048), "method": (str, 16)},
    "result": {"status": (str, None), "error_code": (str, 128), "retryable": (bool, None)},
    "policy": {
        "decision": (str, None),
        "sandbox_enabled": (bool, None),
        "elevated": (bool, None),
        "effective_policy_digest": (dict, None),
    },
    "refs": {"payment_reference": (str, 256), "related_receipt_rid": (str, 128)},
}
_FIELDS = {
    "interaction_id",
    "kind",
    "executor",
    "tool",
    "resource",
    "input",
    "output",
    "started_at",
    "completed_at",
    "duration_ms",
    "result",
    "policy",
    "refs",
    "extensions",
}


def to_evidence(entry: dict[str, Any], redaction: str = "hash_only") -> dict[str, Any]:
    """InteractionEvidence of a spool entry (PEAC `toInteractionEvidence`, byte-compatible)."""
    action = entry["action"]
    executor: dict[str, Any] = {"platform": action["platform"]}
    if action.get("platform_version"):
        executor["version"] = action["platform_version"]
    if action.get("plugin_id"):
        executor["plugin_id"] = action["plugin_id"]
    ev: dict[str, Any] = {
        "interaction_id": action["id"],
        "kind": action["kind"],
        "executor": executor,
        "started_at": action["started_at"],
    }
    if action.get("tool_name"):
        ev["tool"] = {"name": action["tool_name"]} | (
            {"provider": action["tool_provider"]} if action.get("tool_provider") else {}
        )
    if action.get("resource_uri") or action.get("resource_method"):
        ev["resource"] = {
            k: action[f"resource_{k}"] for k in ("uri", "method") if action.get(f"resource_{k}")
        }
    for name in ("input", "output"):
        if entry.get(f"{name}_digest"):
            ev[name] = {"digest": entry[f"{name}_digest"], "redaction": redaction}
    if action.get("completed_at"):
        ev["completed_at"] = action["completed_at"]
    if "duration_ms" in action:
        ev["duration_ms"] = action["duration_ms"]
    if action.get("status"):
        result: dict[str, Any] = {"status": action["status"]}
        if action.get("error_code"):
            result["error_code"] = action["error_code"]
        if "retryable" in action:
            result["retryable"] = action["retryable"]
        ev["result"] = result
    if action.get("policy"):
        ev["policy"] = _policy(action["policy"])
    extensions = _extensions(action.get("metadata"))
    if extensions:
        ev["extensions"] = extensions
    return ev


def _policy(policy: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("decision", "sandbox_enabled", "elevated"):
        if key in policy:
            out[key] = policy[key]
    return out


def _extensions(metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, dict) or not metadata:
        return {}
    extensions: dict[str, Any] = {}
    generic: dict[str, Any] = {}
    for key, value in metadata.items():
        (extensions if _NAMESPACED.match(key) else generic)[key] = value
    if generic:
        extensions[CAPTURE_METADATA] = generic
    return extensions


# -- validation ---------------------------------------------------------------------------------


def validate_evidence(ev: Any) -> tuple[list[Notice], list[Notice]]:
    """Errors and warnings of an InteractionEvidence object; no errors means it is valid."""
    errors: list[Notice] = []
    warnings: list[Notice] = []

    def err(code: str, message: str, field: str | None = None) -> None:
        errors.append(Notice(f"E_INTERACTION_{code}", message, field))

    if not isinstance(ev, dict):
        err("INVALID_FORMAT", "evidence must be an object")
        return errors, warnings
    _required(ev, err, warnings)
    if errors:
        return errors, warnings
    for name in ("input", "output"):
        if name in ev:
            _payload_ref(ev[name], name, err)
    _relations(ev, err, warnings)
    if not errors:
        _schema(ev, err)
    return errors, warnings


def _required(ev: dict[str, Any], err: Any, warnings: list[Notice]) -> None:
    iid = ev.get("interaction_id")
    if not isinstance(iid, str) or not iid:
        err("MISSING_ID", "interaction_id is required", "interaction_id")
    elif len(iid) > 256:
        err("INVALID_FORMAT", "interaction_id exceeds 256 characters", "interaction_id")
    kind = ev.get("kind")
    if not isinstance(kind, str) or not kind:
        err("MISSING_KIND", "kind is required", "kind")
    elif not 2 <= len(kind) <= 128 or not _KIND.match(kind):
        err("INVALID_KIND_FORMAT", "kind must be 2-128 chars, lowercase, start with a letter", "kind")
    elif kind.startswith(("peac.", "org.peacprotocol.")) and kind not in WELL_KNOWN_KINDS:
        err("KIND_RESERVED", f"kind {kind!r} uses a reserved prefix", "kind")
    elif kind not in WELL_KNOWN_KINDS:
        warnings.append(
            Notice(WarningCode.INTERACTION_KIND_UNREGISTERED, f"kind {kind!r} is not well known", "kind")
        )
    started = ev.get("started_at")
    if instant(started) is None:
        err("MISSING_STARTED_AT", "started_at must be an RFC 3339 timestamp", "started_at")
    elif not str(started).endswith("Z"):
        warnings.append(
            Notice(WarningCode.EVIDENCE_TIMESTAMP_OFFSET, "started_at has an offset, not Z", "started_at")
        )
    executor = ev.get("executor")
    if (
        not isinstance(executor, dict)
        or not isinstance(executor.get("platform"), str)
        or not executor["platform"]
    ):
        err("MISSING_EXECUTOR", "executor.platform is required", "executor")
    elif len(executor["platform"]) > 64:
        err("INVALID_FORMAT", "executor.platform exceeds 64 characters", "executor.platform")


def _payload_ref(ref: Any, name: str, err: Any) -> None:
    if not isinstance(ref, dict) or set(ref) != {"digest", "redaction"}:
        err("INVALID_FORMAT", f"{name} must be {{digest, redaction}}", name)
        return
    if ref["redaction"] not in REDACTIONS:
        err("INVALID_FORMAT", f"{name}.redaction is not a known mode", f"{name}.redaction")
    d = ref["digest"]
    if not isinstance(d, dict) or set(d) != {"alg", "value", "bytes"}:
        err("INVALID_DIGEST", f"{name}.digest must be {{alg, value, bytes}}", f"{name}.digest")
        return
    if d["alg"] not in DIGEST_ALGS:
        err(
            "INVALID_DIGEST_ALG",
            f"{name}.digest.alg must be one of {', '.join(DIGEST_ALGS)}",
            f"{name}.digest.alg",
        )
    if not isinstance(d["value"], str) or not _HEX64.match(d["value"]):
        err("INVALID_DIGEST", f"{name}.digest.value must be 64 lowercase hex chars", f"{name}.digest.value")
    if not _nonneg_int(d["bytes"]):
        err("INVALID_DIGEST", f"{name}.digest.bytes must be a non-negative integer", f"{name}.digest.bytes")


def _relations(ev: dict[str, Any], err: Any, warnings: list[Notice]) -> None:
    if "completed_at" in ev:
        done = instant(ev["completed_at"])
        if done is None:
            err("INVALID_FORMAT", "completed_at must be an RFC 3339 timestamp", "completed_at")
        elif done < (instant(ev["started_at"]) or done):
            err("INVALID_TIMING", "completed_at must be >= started_at", "completed_at")
        elif not ev["completed_at"].endswith("Z"):
            warnings.append(
                Notice(WarningCode.EVIDENCE_TIMESTAMP_OFFSET, "completed_at has an offset", "completed_at")
            )
    result = ev.get("result")
    if "output" in ev and not (isinstance(result, dict) and result.get("status")):
        err("MISSING_RESULT", "result.status is required when output is present", "result")
    if isinstance(result, dict) and result.get("status") == "error":
        extensions = ev.get("extensions")
        if not result.get("error_code") and not (isinstance(extensions, dict) and extensions):
            err(
                "MISSING_ERROR_DETAIL",
                "error_code or non-empty extensions required for status error",
                "result",
            )
    extensions = ev.get("extensions")
    if extensions is not None:
        if not isinstance(extensions, dict):
            err("INVALID_FORMAT", "extensions must be an object", "extensions")
        else:
            for key in extensions:
                if not EXTENSION_KEY.match(key):
                    err("INVALID_EXTENSION_KEY", f"invalid extension key {key!r}", f"extensions.{key}")
    kind = ev["kind"]
    if kind.startswith("tool.") and "tool" not in ev:
        err("MISSING_TARGET", f"kind {kind!r} requires tool", "tool")
    if kind.startswith(("http.", "fs.")):
        resource = ev.get("resource")
        if not isinstance(resource, dict) or not resource.get("uri"):
            err("MISSING_TARGET", f"kind {kind!r} requires resource.uri", "resource")
    if "tool" not in ev and "resource" not in ev:
        warnings.append(
            Notice(WarningCode.INTERACTION_MISSING_TARGET, "neither tool nor resource present", "tool")
        )


def _schema(ev: dict[str, Any], err: Any) -> None:
    """The strict zod schema: no unknown members, exact types and lengths."""
    unknown = set(ev) - _FIELDS
    if unknown:
        err("INVALID_FORMAT", f"unknown member(s) {sorted(unknown)}")
    for name, members in _SHAPES.items():
        if name in ev:
            _object(ev[name], name, members, err)
    if "tool" in ev and isinstance(ev["tool"], dict) and not ev["tool"].get("name"):
        err("INVALID_FORMAT", "tool.name must not be empty", "tool.name")
    if isinstance(ev.get("result"), dict) and ev["result"].get("status") not in STATUSES:
        err("INVALID_FORMAT", "result.status must be ok, error, timeout or canceled", "result.status")
    if isinstance(ev.get("policy"), dict) and ev["policy"].get("decision") not in (
        "allow",
        "deny",
        "constrained",
    ):
        err("INVALID_FORMAT", "policy.decision must be allow, deny or constrained", "policy.decision")
    if "duration_ms" in ev and not _nonneg_int(ev["duration_ms"]):
        err("INVALID_FORMAT", "duration_ms must be a non-negative integer", "duration_ms")


def _object(value: Any, name: str, members: dict[str, tuple[Any, int | None]], err: Any) -> None:
    if not isinstance(value, dict):
        err("INVALID_FORMAT", f"{name} must be an object", name)
        return
    for key, item in value.items():
        if key not in members:
            err("INVALID_FORMAT", f"unknown member {name}.{key}", f"{name}.{key}")
            continue
        kind, limit = members[key]
        if not isinstance(item, kind) or (limit is not None and len(item) > limit):
            err("INVALID_FORMAT", f"{name}.{key} has the wrong type or is too long", f"{name}.{key}")


def _nonneg_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer() and value >= 0
    return isinstance(value, int) and value >= 0
