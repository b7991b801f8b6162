"""The normalized model of OpenClaw activity: what every source decodes into and every analysis reads.

Plain data and no I/O. Values OpenClaw may extend (session kinds, stop reasons, entry types) are
kept as strings or map to an `OTHER`/`UNKNOWN` member instead of raising, so a new OpenClaw
release degrades to "unknown" rather than to lost data.

Objects are frozen `msgspec.Struct`s rather than frozen dataclasses: ingest builds several of them
for every transcript line of a history that easily holds half a million lines, and a Struct is
about eight times cheaper to construct (measured: 0.25 µs vs 2.1 µs for nine fields).
Timestamps are integer milliseconds since the Unix epoch (UTC) everywhere.

`session` (kinds, keys, metadata, registries), `transcript` (entries, calls, results, problems),
`observation` (live hook and OTLP reports) and `query` (what readers ask the store for); import the
names from `clawscope.model`.
"""

from __future__ import annotations

from clawscope.model.metrics import MetricFamily, Sample
from clawscope.model.observation import (
    CATEGORIES,
    Observation,
)
from clawscope.model.query import (
    DIMENSIONS,
    Filters,
    SessionQuery,
)
from clawscope.model.session import (
    KIND_TRIGGER,
    Agent,
    CronJob,
    CronRun,
    SessionKey,
    SessionKind,
    SessionMeta,
    SourceKind,
    SubagentRun,
    Trigger,
)
from clawscope.model.transcript import (
    Change,
    Compaction,
    Cost,
    Entry,
    ExecInfo,
    LlmCall,
    Problem,
    ProblemCode,
    Severity,
    ToolCall,
    ToolResult,
    ToolStatus,
    TranscriptBatch,
    Usage,
)

__all__ = [
    "CATEGORIES",
    "DIMENSIONS",
    "KIND_TRIGGER",
    "Agent",
    "Change",
    "Compaction",
    "Cost",
    "CronJob",
    "CronRun",
    "Entry",
    "ExecInfo",
    "Filters",
    "LlmCall",
    "MetricFamily",
    "Observation",
    "Problem",
    "ProblemCode",
    "Sample",
    "SessionKey",
    "SessionKind",
    "SessionMeta",
    "SessionQuery",
    "Severity",
    "SourceKind",
    "SubagentRun",
    "ToolCall",
    "ToolResult",
    "ToolStatus",
    "TranscriptBatch",
    "Trigger",
    "Usage",
]
