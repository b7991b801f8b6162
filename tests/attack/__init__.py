"""The attack tier (`make attack`, part of `make test`): clawscope attacked as an adversary and a careless
user would (issue 13). Every module here is marked `attack` by `conftest.py`; under CI=true nothing skips.

* `test_hostile_state.py`: hostile state dirs rebuilt from the real samples; no traceback, each bad piece a
  problem with where and why, everything else identical to a clean run.
* `test_kills.py`: kill -9 at seeded random moments and at deterministic fault points (`clawscope.faults`),
  each era x backend, then a rerun; every table compared with a clean run.
* `test_abuse.py`: hostile request bodies (deep nesting) against a real server.
* `test_webhook_abuse.py`: forged, replayed, stale and cross-agent webhooks against a real server (the unit
  tier's `FORGERIES` and `ABUSES` tables), each refused with its own code and nothing stored.
* `test_audit_tamper.py`: edited or deleted checkpoint notes, missing receipts, stripped bundle signatures
  (the unit tier's `DIRECTORY_TAMPERS` and `SPAN_TAMPERS`) on a directory the real CLI captured, checked
  by `clawscope receipts verify` in its own process: each fails with its own code.
"""
