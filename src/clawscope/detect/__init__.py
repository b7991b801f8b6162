"""Failure detection: pure detectors over a session's stored records, their registry and their runner.

`base.py` holds the `Detector` protocol and the registry; `families/` one module per family of failures;
the runner reads `SessionView`s through the store's public API and stores the `Finding`s back.
"""
