"""Tamper-evident, signed receipts of OpenClaw tool calls (PEAC-compatible), and their verification.

Stage 1 (`events`, `spool`, `dedupe`) captures each tool call into a hash-chained spool in well under
a millisecond; stage 2 (`emitter`) signs receipts in the background (`receipts`, `evidence`), seals
spool heads (`anchor`) and appends every receipt to an append-only Merkle log (`merklelog`, `note`).
`verify` and `bundle` check all of it offline, each failure with its own code (`errors`).
"""
