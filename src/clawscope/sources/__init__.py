"""Sources decode, nothing else: raw OpenClaw data (files, SQLite rows, payloads) into model objects.

No module here touches the clawscope database or HTTP; `clawscope.ingest` wires sources to the store.
"""
