"""`clawscope demo`: a realistic synthetic OpenClaw state dir, in the real on-disk format of either era.

For tests, benchmarks and first runs. `generate()` writes the JSONL era (OpenClaw ≤ 2026.7:
`sessions.json` + `*.jsonl`, cron store and run log, sub-agent registry) or the SQLite era (2026.8+:
one `openclaw-agent.sqlite` per agent with zstd-compressed large rows), deterministic for a seed,
streaming (memory does not grow with the corpus), and returns `DemoTotals`, its own count of what it
wrote, which an ingest of the same directory must reproduce.
"""

from clawscope.demo.generate import ERAS, generate, is_demo_dir
from clawscope.demo.totals import DemoTotals, ToolTotals, Totals

__all__ = ["ERAS", "DemoTotals", "ToolTotals", "Totals", "generate", "is_demo_dir"]
