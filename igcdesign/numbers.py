"""Parsing of user numbers: budgets like '4672', '1e6', '1_000_000', '2.5M', '17.5k', and whole
numbers (every integer option, list item and COLUMN=VALUE value): ASCII digits only, bounded,
exactly what a spec value accepts (no '3_0', no '٣' or '３２', no sign)."""

from __future__ import annotations

import re

from igcdesign.errors import IGCError, shown

MAX_BUDGET = 10**18
_SUFFIX = {"k": 3, "K": 3, "M": 6, "G": 9, "B": 9, "T": 12}
_NUMBER = re.compile(r"(?P<int>[0-9]+(?:_[0-9]+)*)(?:\.(?P<frac>[0-9]+(?:_[0-9]+)*))?(?:[eE]\+?(?P<exp>[0-9]{1,4}))?")


def parse_count(text: str, what: str = "budget", maximum: int = MAX_BUDGET) -> int:
    """A positive integer written as digits, with '_' separators, an exponent or a k/M/G/T suffix.

    Integer arithmetic keeps it exact: '2.5M' is 2500000, '1.5' is refused as a fraction.
    """
    raw = str(text).strip()
    body, exponent = raw, 0
    if body and body[-1] in _SUFFIX:
        body, exponent = body[:-1], _SUFFIX[body[-1]]
    match = _NUMBER.fullmatch(body)
    if not match:
        if body.startswith("-"):
            raise IGCError(f"{what} must be positive, got '{shown(raw)}'")
        raise IGCError(f"{what} '{shown(raw)}' is not a number (try 4672, 1e6, 1_000_000, 2.5M, 17.5k)")
    digits = match["int"].replace("_", "").lstrip("0")
    fraction = (match["frac"] or "").replace("_", "").rstrip("0")
    if len(digits + fraction) > 2 * len(str(maximum)):  # before int(): Python refuses 4300+ digits
        raise IGCError(f"{what} '{raw[:24]}…' has too many digits (at most {maximum:.0e})")
    exponent += int(match["exp"] or 0) - len(fraction)
    mantissa = int(digits + fraction or "0")
    if mantissa == 0:
        raise IGCError(f"{what} must be positive, got '{shown(raw)}'")
    if exponent < 0:
        value, remainder = divmod(mantissa, 10**-exponent)
        if remainder:
            raise IGCError(f"{what} '{shown(raw)}' is not an integer")
    elif len(str(mantissa)) + exponent > len(str(maximum)) + 1:
        raise IGCError(f"{what} '{shown(raw)}' is larger than the supported maximum {maximum:.0e}")
    else:
        value = mantissa * 10**exponent
    if value > maximum:
        raise IGCError(f"{what} '{shown(raw)}' is larger than the supported maximum {maximum:.0e}")
    return value


MAX_WHOLE = 10**15 - 1  # the largest spec value (15 digits, igcdesign.spec.MAX_DIGITS)
_WHOLE = re.compile(r"[0-9]+")


def parse_whole(text: str, what: str, low: int = 1, high: int = MAX_WHOLE) -> int:
    """An integer in [low, high] written in ASCII digits (spaces around allowed), else IGCError.

    The digit count is checked before int(), so a 5000-digit value is refused, not converted.
    """
    raw = str(text).strip()
    if not _WHOLE.fullmatch(raw):
        raise IGCError(f"{what}: '{shown(raw)}' is not a whole number written in digits 0-9")
    if len(raw.lstrip("0")) > len(str(high)):
        raise IGCError(f"{what}: '{shown(raw)}' is larger than {high:,}")
    value = int(raw)
    if not low <= value <= high:
        raise IGCError(f"{what} must be between {low} and {high}, got {value}")
    return value


def parse_whole_list(text: str, what: str, max_items: int, low: int = 1, high: int = MAX_WHOLE) -> list[int]:
    """Comma-separated whole numbers (see :func:`parse_whole`), at most `max_items` of them."""
    parts = str(text).split(",")
    if len(parts) > max_items:
        raise IGCError(f"{what}: {len(parts):,} values, at most {max_items:,}")
    return [parse_whole(part, what, low, high) for part in parts]


def parse_whole_ranges(text: str, what: str, max_items: int, low: int = 1, high: int = MAX_WHOLE) -> tuple[int, ...]:
    """'6', '1-6', '1,2,4' or '1-3,8': whole numbers and inclusive ranges A-B (see
    :func:`parse_whole`), in the order written, repeats dropped; at most `max_items` values."""
    values: dict[int, None] = {}
    for part in str(text).split(","):
        first, dash, last = part.partition("-")
        a = parse_whole(first, what, low, high)
        b = parse_whole(last, what, low, high) if dash else a
        if b < a:
            raise IGCError(f"{what}: range '{shown(part.strip())}' runs backwards (write A-B with A ≤ B)")
        if len(values) + (b - a + 1) > max_items:
            raise IGCError(f"{what}: more than {max_items:,} values")
        values.update(dict.fromkeys(range(a, b + 1)))
    return tuple(values)


_DURATION = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]{1,3})?)\s*(?P<unit>s|ms|us|µs|μs|ns)")
_UNIT_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9}
MIN_DURATION_S = 1e-6
MAX_DURATION_S = 60.0


def parse_duration(text: str, what: str, low: float = MIN_DURATION_S, high: float = MAX_DURATION_S) -> float:
    """A time with its unit ('0.5ms', '500us', '500µs', '0.0005s') in seconds, within [low, high];
    IGCError (one line) for anything else: a bare number has no unit and is refused."""
    raw = str(text).strip()
    match = _DURATION.fullmatch(raw) if len(raw) <= 32 else None
    if not match:
        raise IGCError(f"{what} '{shown(raw)}' is not a time (write it with its unit: 0.5ms, 500us, 0.0005s)")
    seconds = float(match["number"]) * _UNIT_S[match["unit"]]
    if not low <= seconds <= high:
        raise IGCError(f"{what} must be between {low * 1e6:g} µs and {high:g} s, got '{shown(raw)}'")
    return seconds
