"""Parsing of user numbers: budgets like '4672', '1e6', '1_000_000', '2.5M', '17.5k'."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from igcdesign.errors import IGCError

MAX_BUDGET = 10**18
_SUFFIX = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}
_NUMBER = re.compile(r"[0-9][0-9_]*(\.[0-9_]+)?([eE][+]?[0-9]{1,3})?")


def parse_count(text: str, what: str = "budget", maximum: int = MAX_BUDGET) -> int:
    """A positive integer written as digits, with '_' separators, an exponent or a k/M/G/T suffix.

    Decimal arithmetic keeps it exact: '2.5M' is 2500000, '1.5' is refused as a fraction.
    """
    raw = str(text).strip()
    body, scale = raw, 1
    if body and body[-1] in _SUFFIX:
        body, scale = body[:-1], _SUFFIX[body[-1]]
    if not _NUMBER.fullmatch(body) or "__" in body or body.endswith("_"):
        raise IGCError(f"{what} '{raw}' is not a number (try 4672, 1e6, 1_000_000, 2.5M, 17.5k)")
    try:
        value = Decimal(body.replace("_", "")) * scale
    except InvalidOperation:
        raise IGCError(f"{what} '{raw}' is not a number") from None
    if value != value.to_integral_value():
        raise IGCError(f"{what} '{raw}' is not an integer")
    if value <= 0:
        raise IGCError(f"{what} must be positive, got '{raw}'")
    if value > maximum:
        raise IGCError(f"{what} '{raw}' is larger than the supported maximum {maximum:.0e}")
    return int(value)
