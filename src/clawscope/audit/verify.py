"""Verification of audit FILES: receipts, `.peac.json`, spools, bundles and the Merkle log.

Every file gets one `Verdict` (ok, or the code of the first failure and why). Beyond checking
each file alone, receipts and spools given together are cross-checked: a receipt whose interaction
is in a verified spool must carry that entry's `rid` and exactly the evidence derived from it, so a
re-signed receipt or a re-chained spool is caught even when each file looks fine by itself.

A spool is verified completely (every digest recomputed, order, links) and against its signed head
(`spool.checkpoint.jws`, or `--checkpoint` kept elsewhere). Without a signed head, truncation cannot
be ruled out: that is an error (`E_CHECKPOINT_MISSING`) unless the caller allows unanchored spools.

A directory is more than its files: its log's latest signed head must verify and every log leaf
must have its receipt (`log_coverage.py`), so deleting a receipt or the head is caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from clawscope.audit.anchor import CHECKPOINT_FILE, check_against, read_checkpoint
from clawscope.audit.bundle import verify_bundle
from clawscope.audit.canonical import CanonicalError, jcs, loads
from clawscope.audit.claims import ReceiptInfo, check_receipt
from clawscope.audit.errors import AuditError, Code, Notice, WarningCode
from clawscope.audit.evidence import to_evidence
from clawscope.audit.jws import KeySet
from clawscope.audit.layout import workflow_of
from clawscope.audit.log_coverage import LATEST_NOTE, check_latest_note, check_receipts_present
from clawscope.audit.merklelog import LEAVES_FILE, check_log, receipt_hash
from clawscope.audit.spool import SPOOL_FILE, check_chain, parse_lines, rid_of


class Verdict(msgspec.Struct, omit_defaults=True):
    """The result for one file. `code` is the first failure; warnings never make a file fail."""

    path: str
    kind: str
    ok: bool
    code: str | None = None
    message: str | None = None
    rid: str | None = None
    wire: str | None = None
    warnings: list[Notice] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class Options:
    keys: KeySet
    now_s: int
    checkpoint: Path | None = None
    require_checkpoint: bool = True
    pinned: KeySet | None = None  # for bundles: keys the bundle's own keys must match


def verify_paths(paths: list[Path], opts: Options) -> list[Verdict]:
    """Verify files and directories (recursively); cross-check receipts against spools."""
    files = _expand(paths)
    dirs = [p.resolve() for p in paths if p.is_dir()]
    spools = [f for f in files if _kind(f) == "spool"]
    if opts.checkpoint is not None and len(spools) != 1:
        raise AuditError(Code.CHECKPOINT_INVALID, "--checkpoint needs exactly one spool to verify")
    verdicts: list[Verdict] = []
    infos: dict[int, ReceiptInfo] = {}
    entries: dict[str, dict[str, Any]] = {}
    for path in files:
        verdict, info, spool_entries = _verify_one(path, opts)
        verdicts.append(verdict)
        if info is not None:
            infos[len(verdicts) - 1] = info
        for entry in spool_entries:
            entries[entry["action"]["id"]] = entry
    for index, info in infos.items():
        _cross_check(verdicts[index], info, entries)
    tokens = {files[i].resolve(): receipt_hash(_token_of(files[i])) for i in infos if verdicts[i].ok}
    for path, verdict in zip(files, verdicts, strict=True):
        root = path.resolve().parent.parent
        if verdict.kind == "log" and verdict.ok and any(d == root or d in root.parents for d in dirs):
            _check_coverage(verdict, path.parent, tokens)
    return verdicts


def _check_coverage(verdict: Verdict, log_dir: Path, tokens: dict[Path, str]) -> None:
    """A log found by walking a directory: every leaf has its receipt among the verified files."""
    try:
        check_receipts_present(log_dir.resolve(), tokens)
    except AuditError as exc:
        verdict.ok, verdict.code, verdict.message = False, exc.code, str(exc.args[0])


def _token_of(path: Path) -> str:
    """The token of a receipt file that verified (a `.jws` or a `.peac.json`'s `_jws`)."""
    if _kind(path) == "peac-json" or (_kind(path) == "skip" and _sniff(path) == "peac-json"):
        token = loads(path.read_bytes(), strict=True)["_jws"]
        return str(token)
    return _text(path).strip()


def verify_token(
    token: str, keys: KeySet, now_s: int, path: str = "<upload>"
) -> tuple[Verdict, ReceiptInfo | None]:
    """Verify one receipt token (what the API's upload route calls)."""
    try:
        info = check_receipt(token, keys, now_s)
    except AuditError as exc:
        return Verdict(path, "receipt", False, exc.code, str(exc.args[0])), None
    return Verdict(path, "receipt", True, rid=info.rid, wire=info.wire, warnings=info.warnings), info


# -- one file -----------------------------------------------------------------------------------


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and _kind(p) not in ("skip", "checkpoint"))
            )
        else:
            out.append(path)
    # A log's latest head is checked with its leaves; alone (leaves deleted) it stands for the log.
    return [
        p
        for p in dict.fromkeys(out)
        if _kind(p) != "log" or p.name == LEAVES_FILE or not (p.parent / LEAVES_FILE).exists()
    ]


def _kind(path: Path) -> str:
    name = path.name
    if name.endswith(".peacbundle"):
        return "bundle"
    if name.endswith(".peac.json"):
        return "peac-json"
    if name == SPOOL_FILE:
        return "spool"
    if name == LEAVES_FILE:
        return "log"
    if name == CHECKPOINT_FILE:
        return "checkpoint"
    if name == LATEST_NOTE and path.parent.name == "log":
        return "log"
    if not name.endswith((".jws", ".jwt")):
        return "skip"
    return "receipt"


def _verify_one(path: Path, opts: Options) -> tuple[Verdict, ReceiptInfo | None, list[dict[str, Any]]]:
    kind = _kind(path)
    if kind == "skip":
        kind = _sniff(path)
    try:
        if kind == "receipt":
            verdict, info = verify_token(_text(path).strip(), opts.keys, opts.now_s, str(path))
            return _name_check(verdict, path, ".jws"), info, []
        if kind == "peac-json":
            verdict, info = _verify_peac_json(path, opts)
            return _name_check(verdict, path, ".peac.json"), info, []
        if kind == "spool":
            return _verify_spool(path, opts)
        if kind == "bundle":
            result = verify_bundle(path.read_bytes(), opts.now_s, pinned=opts.pinned)
            verdict = Verdict(
                str(path),
                "bundle",
                result.code is None,
                result.code,
                result.message,
                warnings=result.warnings,
            )
            return verdict, None, []
        if kind == "checkpoint":
            cp = read_checkpoint(_text(path), opts.keys)
            note = (
                f"signed head of {cp.workflow or 'the spool'}: {cp.sequence} entries, head {cp.head_digest}"
            )
            return Verdict(str(path), "checkpoint", True, message=note), None, []
        if kind == "log":
            checked = check_log(path.parent, opts.keys)
            latest = check_latest_note(path.parent, opts.keys)
            note = f"{len(checked)} signed checkpoint(s) match the leaves"
            if latest is not None:
                note += f", latest head {latest.size} leaves"
            return Verdict(str(path), "log", True, message=note), None, []
    except AuditError as exc:
        return Verdict(str(path), kind, False, exc.code, str(exc.args[0])), None, []
    except OSError as exc:
        return Verdict(str(path), kind, False, Code.FILE_UNREADABLE, f"cannot read: {exc.strerror}"), None, []
    return (
        Verdict(str(path), "unknown", False, Code.FILE_UNKNOWN, "not a receipt, spool, bundle or log"),
        None,
        [],
    )


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise AuditError(Code.JWS_MALFORMED, "file is not UTF-8 text") from None


def _sniff(path: Path) -> str:
    head = path.read_bytes()[:256].lstrip()
    if head.startswith(b"PK"):
        return "bundle"
    if head.startswith(b"{") and b'"_jws"' in path.read_bytes():
        return "peac-json"
    if head.startswith(b"{") and b'"entry_digest"' in head + path.read_bytes()[:8192]:
        return "spool"
    return "receipt" if head.count(b".") >= 2 and not head.startswith(b"{") else "unknown"


def _name_check(verdict: Verdict, path: Path, suffix: str) -> Verdict:
    stem = path.name.removesuffix(suffix)
    if verdict.ok and stem.startswith("r_") and verdict.rid is not None and stem != verdict.rid:
        return Verdict(
            str(path),
            verdict.kind,
            False,
            Code.RECEIPT_NAME_MISMATCH,
            f"file is named {stem} but the signed receipt id is {verdict.rid}",
        )
    return verdict


def _verify_peac_json(path: Path, opts: Options) -> tuple[Verdict, ReceiptInfo | None]:
    try:
        doc = loads(path.read_bytes(), strict=True)
    except CanonicalError as exc:
        return Verdict(str(path), "peac-json", False, Code.JWS_MALFORMED, f"not JSON: {exc}"), None
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("_jws"), str)
        or set(doc) - {"auth", "evidence", "_jws"}
    ):
        return Verdict(
            str(path), "peac-json", False, Code.JWS_MALFORMED, "expected {auth, evidence, _jws}"
        ), None
    verdict, info = verify_token(doc["_jws"], opts.keys, opts.now_s, str(path))
    verdict.kind = "peac-json"
    if info is None:
        return verdict, None
    copies = {k: v for k, v in info.claims.items() if k != "evidence"}
    for name, expected in (("auth", copies), ("evidence", info.claims.get("evidence"))):
        if name in doc and jcs(doc[name]) != jcs(expected):
            why = f"the unsigned {name!r} copy differs from the signed receipt (edited)"
            return Verdict(str(path), "peac-json", False, Code.RECEIPT_COPY_MISMATCH, why), None
    return verdict, info


def _verify_spool(path: Path, opts: Options) -> tuple[Verdict, None, list[dict[str, Any]]]:
    entries, problems = parse_lines(path.read_bytes())
    problems = problems or check_chain(entries)
    if not entries and not problems:
        return Verdict(str(path), "spool", False, Code.SPOOL_EMPTY, "spool has no entries"), None, []
    if problems:
        p = problems[0]
        return Verdict(str(path), "spool", False, p.code, f"line {p.line}: {p.message}"), None, []
    warnings: list[Notice] = []
    cp_path = opts.checkpoint or path.parent / CHECKPOINT_FILE
    if not cp_path.exists():
        message = "no signed spool head: dropping entries from the end would go unnoticed"
        if opts.require_checkpoint:
            return Verdict(str(path), "spool", False, Code.CHECKPOINT_MISSING, message), None, []
        warnings.append(Notice(WarningCode.CHECKPOINT_MISSING, message))
    else:
        checkpoint = read_checkpoint(cp_path.read_text(encoding="utf-8"), opts.keys)
        problems, notes = check_against(checkpoint, entries, workflow_of(path.parent))
        if problems:
            return Verdict(str(path), "spool", False, problems[0].code, problems[0].message), None, []
        warnings.extend(notes)
    message = f"{len(entries)} entries, chain intact, head {entries[-1]['entry_digest']}"
    return Verdict(str(path), "spool", True, message=message, warnings=warnings), None, entries


def _cross_check(verdict: Verdict, info: ReceiptInfo, entries: dict[str, dict[str, Any]]) -> None:
    entry = entries.get(info.evidence.get("interaction_id", ""))
    if entry is None or not verdict.ok:
        return
    expected = rid_of(entry["entry_digest"])
    if info.rid != expected:
        verdict.ok, verdict.code = False, Code.RECEIPT_NOT_IN_SPOOL
        verdict.message = f"the spool's entry for this interaction has receipt id {expected}, not {info.rid}"
        return
    same = jcs(to_evidence(entry)) == jcs(info.evidence)
    if info.wire == "0.2":
        same = same and info.claims.get("occurred_at") == entry["captured_at"]
    if not same:
        verdict.ok, verdict.code = False, Code.RECEIPT_EVIDENCE_MISMATCH
        verdict.message = "the signed evidence differs from what the spool entry records"
