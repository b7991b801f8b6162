"""Response models of the stats and sessions API: they make the OpenAPI spec say exactly what the
routes return (the spec is fuzzed in CI), and FastAPI checks every stats response against them."""

from __future__ import annotations

# ruff: noqa: N815  (the field names are the JSON API's camelCase)
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clawscope.web.errors import error_responses as _error_responses


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route can give (401, 403, 422, 429 and these), all in the one envelope."""
    return _error_responses(401, 403, 422, 429, *statuses)


class Period(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str | None = Field(alias="from")
    to: str | None


class Totals(BaseModel):
    sessions: int
    messages: int
    llmCalls: int
    toolCalls: int
    toolErrors: int
    tokensIn: int
    tokensOut: int
    cacheRead: int
    cacheWrite: int
    totalTokens: int
    costUSD: float = Field(description="Exactly the cost OpenClaw reported")
    estimatedCostUSD: float = Field(description="Our estimate for calls OpenClaw did not price")
    avgLatencyMs: float | None
    errors: int
    cacheHitRate: float | None = Field(description="cacheRead / (tokensIn + cacheRead)")
    tokensPerDollar: float | None


class Group(Totals):
    key: str
    provider: str | None = None


class StatsResponse(BaseModel):
    period: Period
    totals: Totals
    byDay: list[Group]


class GroupsResponse(BaseModel):
    period: Period
    by: str
    groups: list[Group]


class ToolStats(BaseModel):
    key: str
    toolCalls: int
    toolErrors: int
    errorRate: float | None
    p50DurationMs: float | None
    p95DurationMs: float | None


class FailingTool(BaseModel):
    tool: str
    errorText: str | None
    count: int
    lastAt: str | None


class ToolsResponse(BaseModel):
    period: Period
    tools: list[ToolStats]
    topFailing: list[FailingTool]


class Session(BaseModel):
    sessionId: str
    key: str | None
    kind: str | None
    trigger: str | None
    agent: str | None
    instance: str
    channel: str | None
    parentSessionId: str | None
    parentKey: str | None
    spawnDepth: int | None
    jobId: str | None
    label: str | None
    status: str | None
    firstAt: str | None
    lastAt: str | None
    llmCalls: int
    toolCalls: int
    toolErrors: int
    errors: int
    tokensIn: int
    tokensOut: int
    cacheRead: int
    cacheWrite: int
    totalTokens: int = Field(description="OpenClaw's total per model call, summed (the one token count)")
    costUSD: float
    estimatedCostUSD: float
    entries: int
    messages: int
    compactions: int
    model: str | None
    provider: str | None
    source: str | None


class ModelUse(BaseModel):
    provider: str | None
    model: str
    llmCalls: int
    tokensIn: int
    tokensOut: int
    cacheRead: int
    cacheWrite: int
    costUSD: float
    estimatedCostUSD: float


class PrunedText(BaseModel):
    at: str = Field(description="when retention last pruned the session's transcript text")
    retentionDays: int = Field(description="the `transcript_retention_days` it was pruned under")
    entries: int = Field(description="entries whose text is no longer stored (their calls are)")
    note: str = Field(
        description="the line replay shows: transcript text pruned on <date> by retention (N days)"
    )


class SessionDetail(Session):
    models: list[ModelUse] = Field(description="every model the session called, its `model` first")
    pruned: PrunedText | None = Field(
        None, description="set when retention pruned the transcript text (every number is kept)"
    )


class CostStats(BaseModel):
    count: int
    total: float
    mean: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None


class ContextStats(BaseModel):
    compactions: int
    sessionsWithCompactions: int
    avgTokensBeforeCompaction: float | None
    maxTokensBeforeCompaction: int | None
    avgPromptTokens: float | None
    maxPromptTokens: int | None


class SessionsStatsResponse(BaseModel):
    period: Period
    costStats: CostStats
    top: list[Session]
    context: ContextStats


class PeriodTotals(BaseModel):
    period: Period
    totals: Totals


class Delta(BaseModel):
    current: float
    previous: float
    delta: float
    deltaPct: float | None


class CompareResponse(BaseModel):
    current: PeriodTotals
    previous: PeriodTotals
    deltas: dict[str, Delta]


class Interval(BaseModel):
    low: float
    high: float
    level: float


class ForecastResponse(BaseModel):
    month: str
    asOf: str
    period: Period
    method: str
    monthToDateUSD: float
    dailyMeanUSD: float
    dailyStdDevUSD: float | None
    completeDays: int
    daysLeft: float
    projectedUSD: float
    interval: Interval | None


class ModelReconciliation(BaseModel):
    provider: str | None
    model: str | None
    calls: int
    unpricedCalls: int
    reportedUSD: float
    repricedUSD: float | None
    driftUSD: float | None
    driftPct: float | None
    priceRef: str | None


class ReconciliationResponse(BaseModel):
    period: Period
    method: str
    models: list[ModelReconciliation]


class SessionPage(BaseModel):
    sessions: list[Session]
    nextCursor: str | None


class LlmCallInfo(BaseModel):
    provider: str | None
    model: str | None
    stopReason: str | None
    isError: bool
    errorMessage: str | None
    tokensIn: int
    tokensOut: int
    cacheRead: int
    cacheWrite: int
    costUSD: float | None
    estimatedCostUSD: float | None
    latencyMs: int | None


class ToolCallInfo(BaseModel):
    callId: str
    name: str | None
    status: str | None
    at: str | None
    resultAt: str | None
    resultEntryId: str | None
    arguments: str | None
    command: str | None
    exitCode: int | None
    durationMs: int | None
    errorText: str | None


class HistoryEntry(BaseModel):
    pos: int
    id: str
    type: str
    role: str | None
    parentId: str | None
    at: str | None
    turnTrigger: str | None
    record: dict[str, Any] | None = Field(description="The raw transcript record, as OpenClaw wrote it")
    llmCall: LlmCallInfo | None
    toolCalls: list[ToolCallInfo]
    textPruned: bool = Field(False, description="retention pruned this entry's text: `record` is null")


class HistoryPage(BaseModel):
    sessionId: str
    total: int
    offset: int
    limit: int
    entries: list[HistoryEntry]
    nextOffset: int | None
    pruned: PrunedText | None = None


class RolledUp(BaseModel):
    costUSD: float
    estimatedCostUSD: float
    llmCalls: int
    toolCalls: int
    tokensIn: int
    tokensOut: int
    sessions: int


class TreeNode(Session):
    total: RolledUp
    children: list[TreeNode]


class Deleted(BaseModel):
    sessionId: str
    deleted: bool


class Finding(BaseModel):
    """A detector's finding (`clawscope detect --json`'s shape, with its state)."""

    id: str
    detector: str
    family: str
    severity: str
    confidence: float
    sessionId: str
    agent: str | None
    entryIds: list[str]
    message: str
    evidence: dict[str, Any]
    firstAt: str | None
    lastAt: str | None
    detectorVersion: int
    anchorEntryId: str
    instance: str | None
    status: str


class FindingPage(BaseModel):
    findings: list[Finding]
    nextCursor: str | None


class SessionFindings(BaseModel):
    sessionId: str
    findings: list[Finding]
