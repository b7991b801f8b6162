"""Route-ready audit functions: plain JSON in, plain JSON out, for the web API to expose as is.

Each function takes the audit directory and already-parsed inputs, and returns a dict ready for
`orjson`; failures are `ClawscopeError`s (`NotFoundError` when something does not exist, `AuditError`
with its code when something does not verify) that the web layer turns into its error envelope.
Served by `clawscope.web.routes.audit` under `/api/v1` (`/sessions/{key}/receipts`,
`/receipts/verify`, `/receipts/checkpoint`, `/receipts/{rid}/proof`, `/receipts/consistency`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import msgspec

from clawscope.audit.anchor import CHECKPOINT_FILE, check_against, read_checkpoint
from clawscope.audit.canonical import CanonicalError, loads
from clawscope.audit.errors import AuditError, Code
from clawscope.audit.jws import KeySet
from clawscope.audit.layout import WORKFLOW_FILE, Layout, workflow_of
from clawscope.audit.merklelog import MerkleLog, ReadOnlyLeafStore
from clawscope.audit.note import open_note
from clawscope.audit.spool import SPOOL_FILE, check_chain, parse_lines, rid_of
from clawscope.audit.verify import Options, verify_paths, verify_token
from clawscope.errors import NotFoundError


def session_receipts(root: Path, session: str, keys: KeySet | None = None) -> dict[str, Any]:
    """The receipts of one session (workflow) in capture order, with the state of its chain."""
    layout = Layout(root)
    spool_dir = next(
        (d for d in layout.spool_dirs() if workflow_of(d) in (session, f"session:{session}")), None
    )
    if spool_dir is None:
        raise NotFoundError(f"no spool for session {session!r}")
    entries, problems = parse_lines((spool_dir / SPOOL_FILE).read_bytes())
    problems = problems or check_chain(entries)
    chain: dict[str, Any] = {"intact": not problems, "entries": len(entries)}
    if problems:
        chain |= {
            "code": problems[0].code.value,
            "message": f"line {problems[0].line}: {problems[0].message}",
        }
    elif keys is not None and (spool_dir / CHECKPOINT_FILE).exists():
        try:
            checkpoint = read_checkpoint((spool_dir / CHECKPOINT_FILE).read_text(), keys)
            found, _ = check_against(checkpoint, entries, workflow_of(spool_dir))
            chain["checkpoint"] = found[0].code.value if found else "ok"
        except AuditError as exc:
            chain["checkpoint"] = exc.code
    rows = [_row(layout, e) for e in entries if isinstance(e, dict) and isinstance(e.get("action"), dict)]
    return {"session": session, "workflow": workflow_of(spool_dir), "chain": chain, "receipts": rows}


def _row(layout: Layout, entry: dict[str, Any]) -> dict[str, Any]:
    action = entry["action"]
    rid = rid_of(str(entry.get("entry_digest", "")))
    return {
        "rid": rid,
        "sequence": entry.get("sequence"),
        "interaction_id": action.get("id"),
        "tool": action.get("tool_name"),
        "status": action.get("status"),
        "started_at": action.get("started_at"),
        "completed_at": action.get("completed_at"),
        "entry_digest": entry.get("entry_digest"),
        "emitted": (layout.jws02 / f"{rid}.jws").exists(),
    }


def verify_upload(body: bytes, keys: KeySet, now_s: int) -> dict[str, Any]:
    """Verify an uploaded receipt: a compact JWS, or the adapter's `.peac.json` document."""
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            doc = loads(text, strict=True)
        except CanonicalError as exc:
            return {"ok": False, "code": Code.JWS_MALFORMED.value, "message": f"not JSON: {exc}"}
        text = doc.get("_jws", "") if isinstance(doc, dict) and isinstance(doc.get("_jws"), str) else ""
    verdict, info = verify_token(text, keys, now_s)
    out: dict[str, Any] = msgspec.to_builtins(verdict)
    out.pop("path", None)
    if info is not None:
        out |= {"kid": info.kid, "iss": info.iss, "iat": info.iat, "evidence": info.evidence}
    return out


def _log(root: Path) -> tuple[MerkleLog, str]:
    layout = Layout(root)
    path = layout.log / "checkpoint.note"
    if not path.exists():
        raise NotFoundError("no signed log checkpoint yet (run `clawscope receipts checkpoint`)")
    note = path.read_text(encoding="utf-8")
    return MerkleLog(layout.log, note.split("\n", 1)[0], ReadOnlyLeafStore(layout.log)), note


def latest_checkpoint(root: Path, keys: KeySet) -> dict[str, Any]:
    """The latest signed log checkpoint, verified, with its parsed size and root."""
    _, note = _log(root)
    cp = open_note(note, keys)
    return {"origin": cp.origin, "size": cp.size, "root": "sha256:" + cp.root.hex(), "checkpoint": cp.text}


def inclusion_proof(root: Path, rid: str, keys: KeySet) -> dict[str, Any]:
    """Inclusion proofs of a receipt against the latest checkpoint."""
    log, note = _log(root)
    try:
        return log.prove_inclusion(rid, open_note(note, keys))
    except AuditError as exc:
        if exc.code == Code.LOG_LEAF_NOT_FOUND:
            raise NotFoundError(str(exc.args[0])) from None
        raise


def consistency_proof(root: Path, old_checkpoint: str, keys: KeySet) -> dict[str, Any]:
    """Proof that the latest checkpoint extends a checkpoint the caller kept."""
    log, note = _log(root)
    return log.prove_consistency(
        open_note(old_checkpoint, keys, log.origin), open_note(note, keys, log.origin)
    )


def consistency_between(root: Path, old_size: int, new_size: int | None, keys: KeySet) -> dict[str, Any]:
    """Consistency proof between two checkpoints the log kept (`log/checkpoints/<size>.note`).

    `new_size` None means the latest checkpoint. A third party checks the proof against the old
    checkpoint it kept itself, so trusting the server's copy of it is never needed.
    """
    log, note = _log(root)
    old = open_note(_kept_note(log, old_size), keys, log.origin)
    new = open_note(note if new_size is None else _kept_note(log, new_size), keys, log.origin)
    return log.prove_consistency(old, new)


def _kept_note(log: MerkleLog, size: int) -> str:
    path = log.directory / "checkpoints" / f"{size}.note"
    if size < 0 or not path.exists():
        raise NotFoundError(f"the log kept no checkpoint at size {size}")
    return path.read_text(encoding="utf-8")


def verify_files(
    items: list[dict[str, Any]], keys: KeySet, now_s: int, *, require_checkpoint: bool = True
) -> list[dict[str, Any]]:
    """Verify uploaded receipts (JWS, `.peac.json`) and spools exactly as `receipts verify` does files.

    Each item is `{"name"?, "content", "checkpoint"?, "workflow"?}`: a spool may come with its signed
    head and its session (workflow) id. Items are cross-checked (a receipt against an uploaded spool)
    and each gets the verdict of its file, with its error code.
    """
    with tempfile.TemporaryDirectory(prefix="clawscope-verify-") as tmp:
        paths = [_write_item(Path(tmp) / f"{i:04d}", item) for i, item in enumerate(items)]
        verdicts = verify_paths(paths, Options(keys, now_s, require_checkpoint=require_checkpoint))
    out: list[dict[str, Any]] = []
    for item, verdict in zip(items, verdicts, strict=True):
        row: dict[str, Any] = msgspec.to_builtins(verdict)
        row["path"] = item.get("name") or Path(row["path"]).name
        out.append(row)
    return out


def _write_item(directory: Path, item: dict[str, Any]) -> Path:
    directory.mkdir()
    content = str(item["content"])
    # The given name matters only for its kind (and `r_…` names are checked against the receipt);
    # other names (and anything path-like) are replaced by one the kind is known from.
    name = Path(str(item.get("name") or "")).name
    if name.startswith(".") or not (name == SPOOL_FILE or name.endswith((".jws", ".jwt", ".peac.json"))):
        name = _default_name(content)
    path = directory / name
    path.write_text(content, encoding="utf-8")
    if item.get("checkpoint"):
        (directory / CHECKPOINT_FILE).write_text(str(item["checkpoint"]), encoding="utf-8")
    if item.get("workflow"):
        (directory / WORKFLOW_FILE).write_text(str(item["workflow"]), encoding="utf-8")
    return path


def _default_name(content: str) -> str:
    head = content.lstrip()[:1]
    if head == "{" and '"_jws"' in content:
        return "upload.peac.json"
    if head == "{":
        return SPOOL_FILE
    return "upload.jws"
