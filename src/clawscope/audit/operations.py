"""The operations behind `clawscope receipts …`: one function per command, paths in, results out.

They load keys, configs and inputs from files, run the library, and return JSON-able results; the
CLI only parses flags and prints. Clocks are injectable (`now_ms`) so every command can reproduce
byte-identical output (the vectors are regenerated with `--now-ms 1768478400000`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from clawscope.audit.backfill import BackfillItem, BackfillReport, backfill
from clawscope.audit.bundle import BundleReport, BundleSpec, create_bundle, new_ulid, verify_bundle
from clawscope.audit.canonical import CanonicalError, loads, stringify
from clawscope.audit.errors import AuditError, Code
from clawscope.audit.events import AdapterConfig, iso_ms
from clawscope.audit.jws import KeySet, SigningKey, decode_compact, load_signing_key, save_signing_key
from clawscope.audit.layout import Layout, atomic_write
from clawscope.audit.merklelog import (
    MerkleLog,
    ReadOnlyLeafStore,
    check_consistency_proof,
    check_inclusion_proof,
)
from clawscope.audit.note import open_note
from clawscope.audit.receipts import Issuer
from clawscope.audit.recorder import Recorder, default_origin, wall_clock_ms
from clawscope.audit.verify import Options, Verdict, verify_paths
from clawscope.errors import UsageError


def _json_file(path: Path, what: str) -> Any:
    try:
        return loads(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None
    except CanonicalError as exc:
        raise UsageError(f"{what} {path} is not JSON: {exc}") from None


def _events(path: Path) -> list[Any]:
    """A JSON array of events, or JSON Lines (one event per line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read events {path}: {exc.strerror}") from None
    try:
        doc = loads(data)
        return doc if isinstance(doc, list) else [doc]
    except CanonicalError:
        pass
    events = []
    for number, line in enumerate(data.splitlines(), 1):
        if line.strip():
            try:
                events.append(loads(line))
            except CanonicalError as exc:
                raise UsageError(f"{path} line {number}: not JSON ({exc})") from None
    return events


def _clock(now_ms: int | None) -> Callable[[], int]:
    if now_ms is None:
        return wall_clock_ms
    frozen: int = now_ms
    return lambda: frozen


def keygen(path: Path) -> dict[str, str]:
    """Create an Ed25519 signing key file (0600) and its public JWK; never returns the secret."""
    key = SigningKey.generate()
    public = save_signing_key(path, key)
    return {"kid": key.kid, "key": str(path), "public_key": str(public), "x": key.public.x}


def capture(
    events_path: Path,
    config_path: Path,
    key_path: Path,
    out: Path,
    *,
    now_ms: int | None = None,
    per_session: bool = False,
    hook_format: bool = False,
) -> dict[str, Any]:
    """Capture a file of events into `out` (spool, dedupe index, receipts, log) and emit receipts."""
    config = AdapterConfig.from_json(_json_file(config_path, "adapter config"))
    key = load_signing_key(key_path)
    clock = _clock(now_ms)
    recorder = Recorder(
        out,
        Issuer(key, config.issuer, config.audience),
        config,
        clock_ms=clock,
        per_workflow=per_session,
        background=False,
        durable=False,
    )
    try:
        results = []
        for event in _events(events_path):
            result = _capture_one(recorder, event, clock) if hook_format else recorder.capture(event)
            results.append(msgspec.to_builtins(result))
    finally:
        stats = recorder.close()
    return {"results": results, "emitted": stats.emitted, "failed": stats.failed, "errors": stats.errors}


def _capture_one(recorder: Recorder, item: Any, clock: Callable[[], int]) -> Any:
    """One `after_tool_call` record: {event, ctx, completed_ms?, started_ms?}."""
    if not isinstance(item, dict):
        raise UsageError("hook events are {event, ctx, completed_ms, started_ms?} objects")
    completed = item.get("completed_ms")
    started = item.get("started_ms")
    return recorder.capture_hook(
        item.get("event"),
        item.get("ctx"),
        completed_ms=completed if isinstance(completed, int) else clock(),
        started_ms=started if isinstance(started, int) else None,
    )


def backfill_items(
    items: Iterable[BackfillItem], key_path: Path, out: Path, issuer: str, *, now_ms: int | None = None
) -> BackfillReport:
    """Receipts for already-ingested tool calls, one spool per session, payload sizes kept exactly."""
    key = load_signing_key(key_path)
    config = AdapterConfig(issuer=issuer, exact_payload_size=True)
    clock = _clock(now_ms)
    recorder = Recorder(out, Issuer(key, issuer), config, clock_ms=clock, per_workflow=True, durable=False)
    try:
        return backfill(items, recorder)
    finally:
        recorder.close()


def _keys(path: Path | None) -> KeySet:
    if path is None:
        raise UsageError("--public-key is required (a public JWK or JWKS)")
    return KeySet.load(path)


def _now_s(now_ms: int | None) -> int:
    return (now_ms if now_ms is not None else wall_clock_ms()) // 1000


def verify(
    paths: list[Path],
    public_key: Path,
    *,
    checkpoint: Path | None = None,
    allow_unanchored: bool = False,
    now_ms: int | None = None,
) -> list[Verdict]:
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path} does not exist")
    keys = _keys(public_key)
    opts = Options(keys, _now_s(now_ms), checkpoint, not allow_unanchored, pinned=keys)
    return verify_paths(paths, opts)


def bundle_create(
    receipts: Path,
    key_path: Path,
    output: Path,
    *,
    public_keys: tuple[Path, ...] = (),
    bundle_id: str | None = None,
    created_at: str | None = None,
    created_by: str | None = None,
    dispute: str | None = None,
    kind: str = "dispute",
    now_ms: int | None = None,
    counted: bool = True,
) -> dict[str, Any]:
    """Bundle the Wire 0.2 receipts found in `receipts` (an audit dir or a folder of `.jws`)."""
    folder = (
        receipts / "wire02" / "receipts-jws" if (receipts / "wire02" / "receipts-jws").is_dir() else receipts
    )
    files = sorted(folder.glob("*.jws")) if folder.is_dir() else [receipts]
    if not files:
        raise UsageError(f"no .jws receipts in {folder}")
    tokens = [f.read_text(encoding="utf-8").strip() for f in files]
    signer = load_signing_key(key_path)
    extra = [k for p in public_keys for k in KeySet.load(p).keys.values() if k.kid != signer.kid]
    keys = KeySet([signer.public, *extra])
    now = now_ms if now_ms is not None else wall_clock_ms()
    first_iss = _first_issuer(tokens)
    spec = BundleSpec(
        bundle_id or new_ulid(now), created_at or iso_ms(now), created_by or first_iss, kind, dispute
    )
    data = create_bundle(tokens, keys, spec, now // 1000, signer, counted=counted)
    atomic_write(output, data)
    return {"output": str(output), "receipts": len(tokens), "bytes": len(data), "bundle_id": spec.bundle_id}


def _first_issuer(tokens: list[str]) -> str:
    try:
        iss = decode_compact(
            tokens[0], frozenset({"interaction-record+jwt", "peac-receipt/0.1"})
        ).payload.get("iss")
    except Exception:
        iss = None
    return iss if isinstance(iss, str) else "unknown"


def bundle_verify(path: Path, *, public_key: Path | None = None, now_ms: int | None = None) -> BundleReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return verify_bundle(data, _now_s(now_ms), pinned=KeySet.load(public_key) if public_key else None)


def _log(root: Path, origin: str | None, read_only: bool = False) -> MerkleLog:
    layout = Layout(root)
    if not layout.log.is_dir():
        raise UsageError(f"{layout.log} does not exist: capture or backfill into {root} first")
    store = ReadOnlyLeafStore(layout.log) if read_only else None
    return MerkleLog(layout.log, origin or "", store)


def checkpoint(root: Path, key_path: Path, origin: str | None = None) -> str:
    """Sign the current tree head of the receipt log in `root`; returns the checkpoint note."""
    key = load_signing_key(key_path)
    log = _log(root, None)
    try:
        latest = log.latest_checkpoint()
        log.origin = origin or (latest.split("\n", 1)[0] if latest else default_origin("https://localhost"))
        return log.checkpoint(key)
    finally:
        log.close()


def prove(
    root: Path, public_key: Path, rid: str | None = None, old_checkpoint: Path | None = None
) -> dict[str, Any]:
    """Inclusion proof of `rid`, or consistency proof from `old_checkpoint`, against the latest checkpoint."""
    keys = _keys(public_key)
    latest_path = Layout(root).log / "checkpoint.note"
    if not latest_path.exists():
        raise UsageError("no checkpoint yet: run `clawscope receipts checkpoint` first")
    latest = open_note(latest_path.read_text(encoding="utf-8"), keys)
    log = _log(root, latest.origin, read_only=True)
    if old_checkpoint is not None:
        return log.prove_consistency(
            open_note(old_checkpoint.read_text(encoding="utf-8"), keys, latest.origin), latest
        )
    if rid is None:
        raise UsageError("give a receipt id (RID) or --old-checkpoint")
    return log.prove_inclusion(rid, latest)


def verify_proof(
    proof_path: Path, public_key: Path, *, receipt: Path | None = None, old_checkpoint: Path | None = None
) -> dict[str, Any]:
    """Check a proof file offline with only the log's public key (and what the auditor kept)."""
    keys = _keys(public_key)
    proof = _json_file(proof_path, "proof")
    kind = proof.get("type") if isinstance(proof, dict) else None
    if kind == "clawscope-consistency-proof/0.1":
        if old_checkpoint is None:
            raise UsageError(
                "a consistency proof is checked against the old checkpoint you kept: --old-checkpoint"
            )
        old, new = check_consistency_proof(proof, keys, old_checkpoint.read_text(encoding="utf-8"))
        return {
            "ok": True,
            "kind": "consistency",
            "old_size": old.size,
            "new_size": new.size,
            "origin": new.origin,
        }
    jws = None
    if receipt is not None:
        text = receipt.read_text(encoding="utf-8").strip()
        jws = loads(text)["_jws"] if text.startswith("{") else text
    cp = check_inclusion_proof(proof, keys, jws)
    if old_checkpoint is not None:
        raise AuditError(Code.PROOF_INVALID, "--old-checkpoint applies to consistency proofs only")
    return {
        "ok": True,
        "kind": "inclusion",
        "rid": proof.get("rid"),
        "tree_size": cp.size,
        "origin": cp.origin,
    }


def dumps(value: Any) -> str:
    """Pretty JSON for the CLI's `--json` and proof files."""
    return stringify(msgspec.to_builtins(value), 2)


def dumps_line(value: Any) -> str:
    """One-line JSON (JSON Lines output)."""
    return stringify(msgspec.to_builtins(value))


def bundle_summary(report: dict[str, Any]) -> str:
    """The human summary of a bundle verification report."""
    sig = report["bundle_signature"]
    status = "valid" if sig.get("valid") else sig.get("error", "absent")
    span = sig.get("receipts")
    if sig.get("valid") and span:
        status += f" (signed for {span['count']} receipts"
        status += f", {span['first']['issued_at']} to {span['last']['issued_at']})" if span["count"] else ")"
    return (
        f"content hash: {report['bundle_content_hash']}\nreport hash:  {report['report_hash']}\n"
        f"{report['auditor_summary']['headline']}; bundle.sig: {status}"
    )
