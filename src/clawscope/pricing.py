"""Estimated cost of model calls OpenClaw did not price, from the `genai-prices` table.

OpenClaw's own `usage.cost` always wins and is reported as `costUSD`; an estimate exists only for a
call with tokens and no (or zero) reported cost, and is reported apart as `estimatedCostUSD`. The
price table is the one bundled with the pinned `genai-prices` release (no network: its auto-update
is never started), effective-dated by the call's timestamp.

`genai_prices.calc_price` takes ~200 µs per call (Decimal arithmetic and a fresh lookup); ingest
may estimate hundreds of thousands of calls, so the effective `ModelPrice` is resolved once per
(provider, model, day) and its per-million-token rates applied here, with the same "cliff" rule for
tiered prices (crossing a tier's input threshold prices all tokens at that tier).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from clawscope.model import LlmCall

# Providers that run models on the user's own hardware: their calls cost nothing, whatever the
# model is called, so they are never estimated (a local "gpt-oss" is not billed like a cloud one).
LOCAL_PROVIDERS = frozenset(
    {"ollama", "lmstudio", "lm-studio", "llamacpp", "llama.cpp", "vllm", "local", "mlx"}
)
_DAY_MS = 86_400_000


class Rates:
    """Flat or tiered USD-per-million-token rates of one model on one day."""

    __slots__ = ("cache_read", "cache_write", "input", "output", "ref")

    def __init__(self, ref: str, input: Any, output: Any, cache_read: Any, cache_write: Any) -> None:
        self.ref = ref
        self.input = _tiers(input)
        self.output = _tiers(output)
        self.cache_read = _tiers(cache_read)
        self.cache_write = _tiers(cache_write)

    def cost(self, input_tokens: int, output: int, cache_read: int, cache_write: int) -> float:
        prompt = input_tokens + cache_read + cache_write  # tiers are decided by the whole prompt
        return (
            input_tokens * _rate(self.input, prompt)
            + output * _rate(self.output, prompt)
            + cache_read * _rate(self.cache_read if self.cache_read else self.input, prompt)
            + cache_write * _rate(self.cache_write if self.cache_write else self.input, prompt)
        ) / 1_000_000


def _tiers(price: Any) -> list[tuple[int, float]]:
    """A price as [(threshold, rate)], ascending; [] when the table has no price."""
    if price is None:
        return []
    if hasattr(price, "base"):
        return [(0, float(price.base))] + [(int(t.start), float(t.price)) for t in price.tiers]
    return [(0, float(price))]


def _rate(tiers: list[tuple[int, float]], prompt: int) -> float:
    rate = 0.0
    for start, value in tiers:
        if prompt >= start:
            rate = value
    return rate


@lru_cache(maxsize=4096)
def rates_for(provider: str | None, model: str | None, day: int) -> Rates | None:
    """The effective rates of a model on a day (days since the epoch), or None if not in the table."""
    if not model or (provider or "").lower() in LOCAL_PROVIDERS:
        return None
    from genai_prices import data_snapshot  # imported on first use: a quarter of a second at start

    snapshot = data_snapshot.get_snapshot()
    when = datetime.fromtimestamp(day * 86_400, UTC)
    for provider_id in (provider, None) if provider else (None,):
        try:
            prov, found = snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
        prices = found.get_prices(when)
        ref = f"genai-prices:{prov.id}/{found.id}"
        return Rates(
            ref, prices.input_mtok, prices.output_mtok, prices.cache_read_mtok, prices.cache_write_mtok
        )
    return None


def estimate(call: LlmCall) -> tuple[float | None, str | None]:
    """Estimated USD cost of a call OpenClaw did not price, and the price it used."""
    usage = call.usage
    if usage is None or (usage.input + usage.output + usage.cache_read + usage.cache_write) == 0:
        return None, None
    ts = call.ts_ms if call.ts_ms is not None else call.started_ms
    day = (ts if ts is not None else int(datetime.now(UTC).timestamp() * 1000)) // _DAY_MS
    rates = rates_for(call.provider, call.model, day)
    if rates is None:
        return None, None
    return rates.cost(usage.input, usage.output, usage.cache_read, usage.cache_write), rates.ref
