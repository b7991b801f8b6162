"""clawscope: observability, cost analytics, failure detection and audit receipts for OpenClaw agents."""

__version__ = "0.1.0"
