"""Stage 1: the capture entry point. Map an event, hash its payloads, chain it into its spool.

`Recorder.capture*()` never raises for bad input and never blocks on signing: it returns a
`CaptureResult` (with the PEAC error code when refused) after a few tens of microseconds, and hands
the entry to the background `Emitter`. One spool per workflow (session) with `per_workflow=True`;
the single `spool/` of the PEAC adapter layout otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from clawscope.audit.dedupe import DedupeIndex
from clawscope.audit.emitter import EmitStats, Emitter, Workflow
from clawscope.audit.errors import AuditError, Code, Notice
from clawscope.audit.events import AdapterConfig, MappedAction, hook_to_adapter_event, map_adapter_event
from clawscope.audit.layout import WORKFLOW_FILE, Layout, workflow_of
from clawscope.audit.merklelog import MerkleLog
from clawscope.audit.receipts import Issuer
from clawscope.audit.spool import MIB, Spool, payload_digest, rid_of


class CaptureResult(msgspec.Struct, omit_defaults=True):
    """Outcome of one capture: the chained entry's coordinates, or the code it was refused with."""

    ok: bool
    action_id: str | None = None
    workflow: str | None = None
    sequence: int | None = None
    entry_digest: str | None = None
    rid: str | None = None
    code: str | None = None
    message: str | None = None
    warnings: list[Notice] = msgspec.field(default_factory=list)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def default_origin(issuer: str) -> str:
    """Log origin for checkpoints: the issuer's host (a C2SP origin is a schema-less URL)."""
    host = issuer.split("://", 1)[-1].split("/", 1)[0] or "localhost"
    return f"{host}/clawscope-receipts"


class Recorder:
    """Captures tool calls into spools and emits their receipts (see module doc)."""

    def __init__(
        self,
        root: Path,
        issuer: Issuer,
        config: AdapterConfig,
        *,
        clock_ms: Callable[[], int] = wall_clock_ms,
        per_workflow: bool = False,
        background: bool = True,
        queue_size: int = 4096,
        origin: str | None = None,
        durable: bool = True,
    ) -> None:
        self.layout = Layout(root)
        self.config = config
        self.issuer = issuer
        self.per_workflow = per_workflow
        self.lock = threading.Lock()
        self.log = MerkleLog(self.layout.log, origin or default_origin(issuer.iss))
        self._open: dict[str | None, Workflow] = {}
        self.durable = durable
        self.emitter = Emitter(
            self, issuer, clock_ms, background=background, queue_size=queue_size, durable=durable
        )

    # -- capture ----------------------------------------------------------------------------------

    def capture(
        self, event: Any, extra: dict[str, Any] | None = None, workflow: str | None = None
    ) -> CaptureResult:
        """Capture an adapter-shaped event; `workflow` (when given) overrides its session key."""
        try:
            mapped = map_adapter_event(event, self.config, extra)
        except AuditError as exc:
            return CaptureResult(False, code=exc.code, message=str(exc.args[0]))
        if workflow is not None:
            mapped.workflow = workflow
        return self.capture_mapped(mapped)

    def capture_hook(
        self, event: Any, ctx: Any, *, completed_ms: int, started_ms: int | None = None
    ) -> CaptureResult:
        """Capture OpenClaw's real `after_tool_call` payload and hook context."""
        try:
            adapter, extra = hook_to_adapter_event(
                event, ctx, completed_ms=completed_ms, started_ms=started_ms
            )
        except AuditError as exc:
            return CaptureResult(False, code=exc.code, message=str(exc.args[0]))
        return self.capture(adapter, extra)

    def capture_mapped(self, mapped: MappedAction) -> CaptureResult:
        name = mapped.workflow if self.per_workflow else None
        action_id = mapped.action["id"]
        # Hashing happens before the lock: it is the only part whose cost grows with the payload.
        digests = [
            None if b is None else payload_digest(b, MIB) for b in (mapped.input_bytes, mapped.output_bytes)
        ]
        try:
            with self.lock:
                wf = self._workflow(name)
                if wf.dedupe.has(action_id):
                    return CaptureResult(
                        False,
                        action_id,
                        name,
                        code=Code.CAPTURE_DUPLICATE.value,
                        message=f"Action {action_id} already captured",
                    )
                entry, line = wf.spool.append(mapped.action, digests[0], digests[1])
                wf.dedupe.set(action_id, entry["sequence"], entry["entry_digest"], entry["captured_at"])
        except AuditError as exc:
            return CaptureResult(False, action_id, name, code=exc.code, message=str(exc.args[0]))
        except OSError as exc:
            return CaptureResult(
                False, action_id, name, code=Code.CAPTURE_STORE_FAILED.value, message=str(exc)
            )
        self.emitter.submit(wf, line)
        return CaptureResult(
            True,
            action_id,
            name,
            entry["sequence"],
            entry["entry_digest"],
            rid_of(entry["entry_digest"]),
            warnings=mapped.warnings,
        )

    def capture_all(self, events: Iterable[Any]) -> list[CaptureResult]:
        return [self.capture(event) for event in events]

    # -- spools -----------------------------------------------------------------------------------

    def _workflow(self, name: str | None) -> Workflow:
        wf = self._open.get(name)
        if wf is None:
            directory = self.layout.spool_dir(name)
            spool = Spool.open(directory)
            if name is not None and not (directory / WORKFLOW_FILE).exists():
                (directory / WORKFLOW_FILE).write_text(name, encoding="utf-8")
            dedupe = DedupeIndex.open(directory)
            dedupe.reconcile(spool.read_entries())
            wf = self._open[name] = Workflow(name, spool, dedupe)
        return wf

    def workflows(self) -> list[Workflow]:
        return list(self._open.values())

    def resume(self) -> int:
        """Open every existing spool and queue the entries without receipts: never emitted, or
        emitted but whose files were lost (a crash before they reached the disk). Returns the count."""
        count = 0
        for directory in self.layout.spool_dirs():
            name = workflow_of(directory)
            if name is None and directory != self.layout.spool_dir(None):
                continue
            with self.lock:
                wf = self._workflow(name)
                todo = []
                for entry in wf.spool.read_entries():
                    action_id = entry["action"]["id"]
                    if wf.dedupe.emitted(action_id) and self._has_receipt(entry):
                        continue
                    wf.dedupe.forget_emission(action_id)
                    todo.append(entry)
            for entry in todo:
                self.emitter.submit(wf, entry)
            count += len(todo)
        return count

    def _has_receipt(self, entry: dict[str, Any]) -> bool:
        rid = rid_of(entry["entry_digest"])
        paths = (
            self.layout.receipts / f"{rid}.peac.json",
            self.layout.jws01 / f"{rid}.jws",
            self.layout.jws02 / f"{rid}.jws",
        )
        return all(p.exists() for p in paths)

    # -- emission -----------------------------------------------------------------------------------

    def flush(self, *, checkpoint_log: bool = True) -> EmitStats:
        """Emit every pending receipt, seal spool heads and (by default) sign a log checkpoint."""
        stats = self.emitter.flush()
        if checkpoint_log:
            with self.lock:
                self.log.checkpoint(self.issuer.key)
        return stats

    def close(self) -> EmitStats:
        """Emit what is pending, sign a final log checkpoint, and release every file and lock."""
        try:
            self.emitter.close()
            with self.lock:
                self.log.checkpoint(self.issuer.key)
        except Exception as exc:
            self.emitter.stats.errors.append(
                ("", Code.OPENCLAW_SIGNING_FAILED.value, f"log checkpoint: {exc}")
            )
        finally:
            with self.lock:
                for wf in self._open.values():
                    wf.spool.close()
                    wf.dedupe.close()
                self._open.clear()
                self.log.close()
        return self.emitter.stats
