"""The spec grammar: 'name:key=value,key=value' split into a name and raw items, and the
integer values checked; the families (:mod:`igcdesign.families`) give the items their meaning
and turn them into a :class:`~igcdesign.families.block.Block` (``parse_block``).

Values are positive integers, or lists of them joined by 'x' (IGCV2's K) or '/' (chain's
W, G, k, P). Nothing is evaluated: every value is matched against a digits-only pattern.
"""

from __future__ import annotations

import re

from igcdesign.errors import SpecError, shown

MAX_DIGITS = 15
MAX_SPEC_CHARS = 1 << 14  # a whole spec, checked before anything is split or converted
MAX_LIST_ITEMS = 1024  # values in one list: convs of a chain, IGCV2 branches
_INT = re.compile(r"[0-9]{1,%d}" % MAX_DIGITS)
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def parse_int(text: str, what: str) -> int:
    """A positive integer written in plain digits, or SpecError."""
    text = text.strip()
    if not _INT.fullmatch(text):
        if re.fullmatch(r"[0-9]+", text):
            raise SpecError(f"{what}: '{shown(text)}' is too large (at most {MAX_DIGITS} digits)")
        raise SpecError(f"{what}: '{shown(text)}' is not a positive integer")
    value = int(text)
    if value <= 0:
        raise SpecError(f"{what}: must be positive, got {value}")
    return value


def parse_int_list(text: str, sep: str, what: str) -> tuple[int, ...]:
    """Positive integers joined by `sep`, e.g. '1x8x8'."""
    if not text:
        raise SpecError(f"{what}: empty list")
    items = text.count(sep) + 1
    if items > MAX_LIST_ITEMS:
        raise SpecError(f"{what}: {items:,} values, at most {MAX_LIST_ITEMS:,}")
    return tuple(parse_int(part, what) for part in text.split(sep))


def split_spec(text: str) -> tuple[str, dict[str, str]]:
    """'family:k=v,k=v' → (family, {k: v}) with keys checked for duplicates; values unparsed."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("empty block spec (expected family:key=value,...)")
    if len(text) > MAX_SPEC_CHARS:
        raise SpecError(f"spec '{shown(text)}' is longer than {MAX_SPEC_CHARS:,} characters")
    text = text.strip()
    family, sep, rest = text.partition(":")
    if rest.count(",") >= MAX_LIST_ITEMS:
        raise SpecError(f"spec '{shown(text)}' has {rest.count(',') + 1:,} items, at most {MAX_LIST_ITEMS:,}")
    family = family.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", family):
        raise SpecError(f"malformed spec '{shown(text)}': expected family:key=value,...")
    items: dict[str, str] = {}
    if sep and rest.strip():
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            key = key.strip()
            if not eq or not _KEY.fullmatch(key) or not value.strip():
                raise SpecError(f"malformed item '{shown(item.strip())}' in '{shown(text)}': expected key=value")
            if key in items:
                raise SpecError(f"duplicate key '{key}' in '{shown(text)}'")
            items[key] = value.strip()
    return family, items
