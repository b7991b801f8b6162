"""Time texts match what OpenClaw wrote in the real samples; the rhythm has a day and a night."""

from __future__ import annotations

import random
import time

from clawscope.demo.clock import (
    DAY_MS,
    HOUR_MS,
    SPAN_DAYS,
    Rhythm,
    anchor_ms,
    current_time_line,
    envelope,
    file_stamp,
    iso,
)


def test_texts_match_the_real_sample() -> None:
    # RUN-3.24: entry timestamp, chat envelope and the cron prompt's time line.
    assert iso(1795238898816) == "2026-11-21T05:28:18.816Z"
    assert envelope(1795238930012, 0) == "[Sat 2026-11-21 05:28 UTC]"
    assert current_time_line(1795238968179, 0) == (
        "Current time: Saturday, November 21st, 2026 — 5:29 AM (UTC) / 2026-11-21 05:29 UTC"
    )
    assert envelope(1795238930012, 1) == "[Sat 2026-11-21 06:28 GMT+1]"
    assert file_stamp(1776851091837) == "2026-04-22T09-44-51.837Z"


def test_anchor_is_fixed_per_seed_and_at_midnight() -> None:
    assert anchor_ms(7) == anchor_ms(7) != anchor_ms(8)
    assert anchor_ms(0) % DAY_MS == 0
    assert time.gmtime(anchor_ms(0) / 1000).tm_year == 2026


def test_activity_follows_the_owners_day() -> None:
    end = anchor_ms(3)
    rhythm = Rhythm(end, offset_h=0, spike_days=frozenset({10}))
    times = rhythm.sample(random.Random(1), 20_000)
    assert times == sorted(times)
    assert end - SPAN_DAYS * DAY_MS <= times[0]
    assert times[-1] < end
    hours = [0] * 24
    for t in times:
        hours[(t // HOUR_MS) % 24] += 1
    assert hours[10] > 8 * hours[3]  # mornings are busy, nights quiet
    per_day = [0] * SPAN_DAYS
    for t in times:
        per_day[(t - (end - SPAN_DAYS * DAY_MS)) // DAY_MS] += 1
    assert per_day[10] > 2 * sorted(per_day)[SPAN_DAYS // 2]  # the spike day
    window = rhythm.sample(random.Random(2), 50, end - 2 * DAY_MS, end - DAY_MS)
    assert all(end - 2 * DAY_MS <= t < end - DAY_MS for t in window)
