"""Practical constraints on blocks (what makes an answer buildable), read off the chain.

- multiple_of m: the width and every conv's channels per group (in and out) a multiple of m;
  channel-wise convs (one channel per group) are exempt, they run on depthwise kernels;
- max_convs n: at most n convolutions in the block;
- min_group_size g: every conv's channels per group (in and out) at least g, channel-wise convs
  exempt as above.

:meth:`Constraints.admits` works on one chain of ints (`widest`) and on the chain of a whole
design space of numpy arrays (`space --multiple-of`): the same lines decide both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from igcdesign.errors import IGCError

MAX_MULTIPLE = 1 << 20
MAX_CONVS = 1 << 10
MAX_GROUP_SIZE = 1 << 20

LABELS = {
    "multiple_of": "group sizes and width multiples of {}",
    "max_convs": "at most {} convs",
    "min_group_size": "group sizes at least {}",
}


@dataclass(frozen=True)
class Constraints:
    """The constraints in force; None leaves that one out."""

    multiple_of: int | None = None
    max_convs: int | None = None
    min_group_size: int | None = None

    def __post_init__(self) -> None:
        for name, high in (("multiple_of", MAX_MULTIPLE), ("max_convs", MAX_CONVS), ("min_group_size", MAX_GROUP_SIZE)):
            value = getattr(self, name)
            if value is None:
                continue
            flag = "--" + name.replace("_", "-")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise IGCError(f"{flag} must be a whole number between 1 and {high:,}, got {value!r}")

    def active(self) -> dict[str, int]:
        """The constraints set, by name."""
        return {name: getattr(self, name) for name in LABELS if getattr(self, name) is not None}

    def without(self, name: str) -> "Constraints":
        from dataclasses import replace

        return replace(self, **{name: None})

    def describe(self) -> list[str]:
        """Each constraint in force, in words."""
        return [LABELS[name].format(value) for name, value in self.active().items()]

    def allows_group(self, per_group: Any) -> Any:
        """Whether a conv with this many channels per group passes (1: channel-wise, exempt)."""
        ok = per_group == 1
        rest = True
        if self.multiple_of:
            rest = rest & (per_group % self.multiple_of == 0)
        if self.min_group_size:
            rest = rest & (per_group >= self.min_group_size)
        return ok | rest

    def admits(self, chain: Sequence, width: Any) -> Any:
        """Whether the block (a chain of ints, or of arrays for a whole space) meets every constraint."""
        from igcdesign.layers import convs

        layers = convs(chain)
        ok = True
        if self.max_convs is not None:
            ok = ok & (len(layers) <= self.max_convs)
        if self.multiple_of:
            ok = ok & (width % self.multiple_of == 0)
        if self.multiple_of or self.min_group_size:
            for conv in layers:
                for per in (conv.cin // conv.groups, conv.cout // conv.groups):
                    ok = ok & self.allows_group(per)
        return ok
