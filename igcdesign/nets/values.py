"""Values of network spec items: integers, width multipliers and per-stage lists, never eval'd."""

from __future__ import annotations

import re
from fractions import Fraction

from igcdesign.errors import SpecError, shown
from igcdesign.spec import parse_int

_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?|\.[0-9]{1,6}")
MAX_ALPHA = Fraction(16)
MAX_BLOCKS = 4096  # blocks of a whole network, presets and stage files alike


def parse_alpha(text: str, what: str) -> Fraction:
    """A width multiplier written as a plain decimal (e.g. '0.75'), exact, in (0, 16]."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        raise SpecError(f"{what}: '{shown(text)}' is not a plain decimal number (e.g. 0.75)")
    value = Fraction(text)
    if not 0 < value <= MAX_ALPHA:
        raise SpecError(f"{what}: must be in (0, {MAX_ALPHA}], got {text}")
    return value


def format_alpha(alpha: Fraction) -> str:
    """The shortest decimal text of a multiplier parsed by :func:`parse_alpha`."""
    text = f"{float(alpha):.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def check_keys(items: dict[str, str], known: tuple[str, ...], name: str) -> None:
    """SpecError naming the known keys if `items` has any other."""
    for key in items:
        if key not in known:
            raise SpecError(f"unknown key '{shown(key)}' for network {name} (known: {', '.join(known)})")


def get_int(items: dict[str, str], key: str, name: str, default: int | None = None) -> int:
    """items[key] as a positive integer; `default` when absent, SpecError when required."""
    if key not in items:
        if default is None:
            raise SpecError(f"network {name} needs {key}=")
        return default
    return parse_int(items[key], f"{name} {key}")


def per_stage(text: str, stages: int, what: str) -> list[str]:
    """'a/b/c' → one token per stage; a single token applies to every stage."""
    tokens = [t.strip() for t in text.split("/")]
    if any(not t for t in tokens):
        raise SpecError(f"{what}: empty item in '{shown(text)}'")
    if len(tokens) == 1:
        return tokens * stages
    if len(tokens) != stages:
        raise SpecError(f"{what}: {len(tokens)} values for {stages} stages (give one per stage, or one for all)")
    return tokens
