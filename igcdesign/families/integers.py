"""Exact integer searches that the families' optimisers share: plain Python, no numpy.

Costs are increasing functions of one integer (a width, a partition count); real roots from
the generated formulas only say where to start, the answers are settled with exact integers.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

# Candidates a search steps over when it looks for the widest width a rule accepts (IGCV3's
# widths whose chain is strict or relaxed, ShuffleNet's): far more than any real rule skips.
MAX_SCAN = 1 << 16


def largest_at_most(cost: Callable[[int], int], budget: int, guess: float, lo: int = 1) -> int:
    """The largest integer x ≥ lo with cost(x) ≤ budget (cost increasing), or lo − 1 if none."""
    if cost(lo) > budget:
        return lo - 1
    x = max(lo, int(guess) if math.isfinite(guess) else lo)
    step = 1
    while cost(x) > budget:  # guess too high: walk down, doubling
        x = max(lo, x - step)
        step *= 2
    step = 1
    while cost(x + step) <= budget:  # gallop up, then back to single steps
        x += step
        step *= 2
    while step > 1:
        step //= 2
        if cost(x + step) <= budget:
            x += step
    return x


def closest(cost: Callable[[int], int], budget: int, below: int, lo: int = 1) -> int:
    """Of `below` (largest x with cost ≤ budget, or lo − 1) and below + 1, the one nearest the
    budget; ties go to fewer params (the smaller x)."""
    if below < lo:
        return lo
    over = cost(below + 1)
    return below if budget - cost(below) <= over - budget else below + 1


def within(params: int, budget: int, tolerance: float) -> bool:
    """|params − budget| ≤ tolerance % of budget, decided exactly."""
    return abs(params - budget) * 100 <= Fraction(str(tolerance)) * budget


def accepted_down(start: int, step: int, accept: Callable[[int], bool], lo: int = 1) -> int | None:
    """The largest x ≤ start with x ≡ start (mod step), x ≥ lo and accept(x); None when none is
    found among MAX_SCAN candidates."""
    x = start
    for _ in range(MAX_SCAN):
        if x < lo:
            return None
        if accept(x):
            return x
        x -= step
    return None


def accepted_up(start: int, step: int, accept: Callable[[int], bool]) -> int | None:
    """The smallest x ≥ start with x ≡ start (mod step) and accept(x), among MAX_SCAN candidates."""
    x = start
    for _ in range(MAX_SCAN):
        if accept(x):
            return x
        x += step
    return None


def round_up(x: int, step: int) -> int:
    """The smallest multiple of step that is ≥ x (x ≥ 0)."""
    return -(-x // step) * step


def divisors(n: int) -> list[int]:
    """Every positive divisor of n ≥ 1, in increasing order (trial division up to √n)."""
    small, large = [], []
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            small.append(d)
            if d * d != n:
                large.append(n // d)
    return small + large[::-1]
