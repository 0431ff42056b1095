"""Checks of the values a user gives (map side, kernel, batch sizes, percentages, counts), each a
one-line IGCError when out of range. No typer here: the library and the CLI share them.
"""

from __future__ import annotations

from typing import Iterable

from igcdesign.errors import IGCError

MAX_HW = 1 << 16
MAX_KERNEL = 1 << 10
MAX_BATCH_SIZES = 64  # sizes in one --batch list
MAX_BATCH_OPTION = 1 << 16  # what --batch parses; the measuring module may allow less
MAX_MIN_TIME = 60.0  # seconds of timed calls per measurement


def check_min_time(seconds: float) -> float:
    """seconds if 0 < seconds ≤ MAX_MIN_TIME (NaN and infinities refused)."""
    if not 0 < seconds <= MAX_MIN_TIME:
        raise IGCError(f"--min-time must be in (0, {MAX_MIN_TIME:g}] seconds, got {seconds}")
    return seconds


def check_hw(hw: int) -> int:
    """hw if 1 ≤ hw ≤ MAX_HW."""
    if not 1 <= hw <= MAX_HW:
        raise IGCError(f"--hw must be between 1 and {MAX_HW}, got {hw}")
    return hw


def check_kernel(k: int) -> int:
    """k if 1 ≤ k ≤ MAX_KERNEL."""
    if not 1 <= k <= MAX_KERNEL:
        raise IGCError(f"--kernel must be between 1 and {MAX_KERNEL}, got {k}")
    return k


def check_positive(value: int, option: str, maximum: int = 1 << 20) -> int:
    """value if 1 ≤ value ≤ maximum."""
    if not 1 <= value <= maximum:
        raise IGCError(f"{option} must be between 1 and {maximum}, got {value}")
    return value


def parse_batches(values: Iterable[str | int]) -> tuple[int, ...]:
    """'--batch 1 --batch 32' or '--batch 1,32' → (1, 32), repeats dropped; IGCError for anything
    that is not a positive integer written in digits."""
    from igcdesign.numbers import parse_whole_list

    batches: list[int] = []
    for value in values:
        for size in parse_whole_list(str(value), "--batch", MAX_BATCH_SIZES, high=MAX_BATCH_OPTION):
            if size not in batches:
                batches.append(size)
    if len(batches) > MAX_BATCH_SIZES:
        raise IGCError(f"--batch: {len(batches)} sizes, at most {MAX_BATCH_SIZES}")
    return tuple(batches)


def parse_percent(text: str | float, option: str = "--near") -> float:
    """'2%', '2' or '0.5%' → a fraction in [0, 0.5]; IGCError otherwise."""
    raw = str(text).strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise IGCError(f"{option}: '{str(text)[:100]}' is not a percentage (try 2%)") from None
    if not 0 <= value <= 50:
        raise IGCError(f"{option} must be between 0% and 50%, got '{str(text)[:100]}'")
    return value / 100
