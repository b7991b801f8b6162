"""Registers the tests' trivial detector on import: what a spawned detection worker imports (`modules`)."""

from clawscope.detect.base import REGISTRY, register
from tests.detect.doubles import FailedToolDetector

if FailedToolDetector.id not in REGISTRY:
    register(FailedToolDetector())
