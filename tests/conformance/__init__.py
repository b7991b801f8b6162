"""The conformance tier: clawscope ingests what the REAL OpenClaw (from the npm registry) writes.

Sample files go stale (OpenClaw ships weekly and changed its storage in 2026.8.1), so this tier installs
pinned OpenClaw releases, runs them offline against the project's own fake LLM inside loopback-only
network namespaces, and checks that `clawscope ingest` reproduces exactly what the fake LLM's own log and
the configured prices say happened. Stdlib-only helpers here also run inside the namespace.
"""
