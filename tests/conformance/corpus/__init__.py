"""The labelled detection corpus: scenarios recorded with the real OpenClaw, labelled by construction.

Each scenario is one or more sessions (a root driven through the gateway, sub-agents it spawns) whose
model turns are scripted (`tests/conformance/scripted.py`): exact tool calls, exact replies, errors.
Its labels (which detector families the session must carry, and which transcript entries show it) are
part of its definition; after a recording, `labels.py` finds the entries by the tool arguments and
texts the script put there, never by typed ids. `python -m tests.conformance.detect_corpus` records
every scenario with both pinned eras and writes the fixtures (see tests/fixtures/detect/README.md).
"""
