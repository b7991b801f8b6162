"""Stage 2: the background emitter that turns spool entries into signed receipts.

Capture only appends to the spool and hands the entry to a BOUNDED queue (`put_nowait`, never
blocking). A worker thread drains the queue in batches: it signs both wire forms, writes the three
receipt files, marks the entry emitted in the dedupe index, appends both receipts to the Merkle log,
then fsyncs each touched spool and signs its new head. If the queue overflows nothing is lost: the
spool is authoritative, so the worker rescans it for entries not yet emitted.

Without a thread (`background=False`) the same work runs in `flush()`, in capture order, which is
what makes the CLI's output byte-reproducible. `durable=False` (batch jobs: the CLI, backfill, tests)
skips the per-file fsyncs of receipt files (spools are still fsynced on every commit); receipts lost
to a power failure are re-emitted by `Recorder.resume()`, since the spool is authoritative.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from clawscope.audit.anchor import CHECKPOINT_FILE, sign_checkpoint
from clawscope.audit.canonical import loads
from clawscope.audit.dedupe import DedupeIndex
from clawscope.audit.errors import Code
from clawscope.audit.layout import Layout, atomic_write, sync_dirs
from clawscope.audit.merklelog import MerkleLog
from clawscope.audit.receipts import TYP_WIRE01, TYP_WIRE02, Issuer, sign_entry, write_receipt
from clawscope.audit.spool import Spool

Item = dict[str, Any] | bytes  # a spool entry, or the spool line holding it


def _yield() -> None:
    """Let a capturing thread take the GIL now. CPython hands the GIL to a waiting thread only after
    its switch interval (5 ms), so a capture arriving while the emitter signs used to wait that long;
    a real (100 µs) sleep releases the GIL long enough for the signalled waiter to take it. Measured
    on the bench: capture p99 with a busy emitter went from ~3.7 ms (no yield) to ~1 ms."""
    time.sleep(0.0001)


@dataclass
class Workflow:
    """One open spool with its dedupe index (`name` None = the single adapter spool)."""

    name: str | None
    spool: Spool
    dedupe: DedupeIndex


@dataclass
class EmitStats:
    """What the emitter did so far; `errors` keeps (action id, code, message) of failed emissions."""

    emitted: int = 0
    failed: int = 0
    checkpoints: int = 0
    overflows: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)


class Host(Protocol):
    """What the emitter needs from the recorder that owns the spools."""

    lock: threading.Lock
    layout: Layout
    log: MerkleLog

    def workflows(self) -> list[Workflow]: ...


class Emitter:
    """Drains captured entries into receipts, in a worker thread or on `flush()`."""

    def __init__(
        self,
        host: Host,
        issuer: Issuer,
        clock_ms: Callable[[], int],
        *,
        background: bool = True,
        queue_size: int = 4096,
        interval_s: float = 1.0,
        durable: bool = True,
    ) -> None:
        self.host = host
        self.issuer = issuer
        self.clock_ms = clock_ms
        self.stats = EmitStats()
        self.interval_s = interval_s
        self.durable = durable
        self._queue: queue.Queue[tuple[Workflow, Item] | None] = queue.Queue(queue_size)
        self._pending: list[tuple[Workflow, Item]] = []
        self._overflow = threading.Event()
        self._failed: set[str] = set()
        self._work = threading.Lock()  # one batch at a time: the worker and a flush-time rescan never race
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name="clawscope-receipt-emitter", daemon=True)
            self._thread.start()

    def submit(self, wf: Workflow, entry: Item) -> None:
        """Hand an entry (or its spool line) over; never blocks (an overflow is recovered from the spool).

        Capture hands over the spool LINE, not the entry: one bytes object per queued call keeps the
        garbage collector's work (and so capture's tail latency) independent of the backlog, and the
        emitter signs exactly what the spool holds, as PEAC's emitter does by re-reading the spool.
        """
        if self._thread is None:
            self._pending.append((wf, entry))
            return
        try:
            self._queue.put_nowait((wf, entry))
        except queue.Full:
            self._overflow.set()
            self.stats.overflows += 1

    def flush(self) -> EmitStats:
        """Emit everything captured so far and sign the spool heads; returns the stats."""
        if self._thread is None:
            batch, self._pending = self._pending, []
            self._emit_batch(batch)
        else:
            self._queue.join()
        if self._overflow.is_set():
            self._rescan()
        return self.stats

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self.flush()

    # -- worker -------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.interval_s)
            except queue.Empty:
                if self._overflow.is_set():
                    self._rescan()
                continue
            batch, stop = [], item is None
            if item is not None:
                batch.append(item)
            while not stop and len(batch) < 100:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                stop = nxt is None
                if nxt is not None:
                    batch.append(nxt)
            try:
                self._emit_batch(batch)
            except Exception as exc:
                self.stats.errors.append(
                    ("", Code.OPENCLAW_SIGNING_FAILED.value, f"emitter batch failed: {exc}")
                )
            finally:
                for _ in range(len(batch) + (1 if stop else 0)):
                    self._queue.task_done()
            if stop:
                return

    def _rescan(self) -> None:
        self._overflow.clear()
        with self.host.lock:
            todo: list[tuple[Workflow, Item]] = [
                (wf, e)
                for wf in self.host.workflows()
                for e in wf.spool.read_entries()
                if not wf.dedupe.emitted(e["action"]["id"])
            ]
        self._emit_batch(todo)

    def _emit_batch(self, batch: list[tuple[Workflow, Item]]) -> None:
        with self._work:
            touched: dict[int, Workflow] = {}
            for wf, entry in batch:
                self._emit_one(wf, entry)
                touched[id(wf)] = wf
            layout = self.host.layout
            if self.durable and batch and layout.receipts.is_dir():
                sync_dirs([layout.receipts, layout.jws01, layout.jws02])  # once per batch, not per file
            for wf in touched.values():
                self._seal(wf)

    def _emit_one(self, wf: Workflow, item: Item) -> None:
        entry = loads(item) if isinstance(item, bytes) else item
        action_id = entry["action"]["id"]
        if wf.dedupe.emitted(action_id) or action_id in self._failed:
            return
        try:
            signed = sign_entry(entry, self.issuer, self.clock_ms() // 1000)
            _yield()
            write_receipt(self.host.layout, signed, durable=self.durable)
            with self.host.lock:
                wf.dedupe.mark_emitted(action_id)
                self.host.log.append(signed.rid, TYP_WIRE01, signed.wire01)
                self.host.log.append(signed.rid, TYP_WIRE02, signed.wire02)
            self.stats.emitted += 1
            _yield()
        except Exception as exc:
            self._failed.add(action_id)
            self.stats.failed += 1
            self.stats.errors.append(
                (action_id, Code.OPENCLAW_SIGNING_FAILED.value, f"Failed to emit receipt: {exc}")
            )

    def _seal(self, wf: Workflow) -> None:
        """fsync the spool and sign its head, so truncation below this point is detectable."""
        with self.host.lock:
            wf.spool.commit()
            sequence, head = wf.spool.sequence, wf.spool.head
        if sequence == 0:
            return
        try:
            self._sign_head(wf, sequence, head)
        except Exception as exc:
            self.stats.errors.append(
                (f"spool:{wf.name or ''}", Code.OPENCLAW_SIGNING_FAILED.value, f"head: {exc}")
            )

    def _sign_head(self, wf: Workflow, sequence: int, head: str) -> None:
        token = sign_checkpoint(
            self.issuer.key,
            iss=self.issuer.iss,
            iat=self.clock_ms() // 1000,
            sequence=sequence,
            head_digest=head,
            workflow=wf.name,
        )
        atomic_write(
            wf.spool.directory / CHECKPOINT_FILE, (token + "\n").encode("ascii"), durable=self.durable
        )
        self.stats.checkpoints += 1
