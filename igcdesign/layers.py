"""Layers of a chain and their cost, on plain integers, numpy arrays or sympy symbols.

A block is a tuple of layers: group convolutions and the channel permutations between them.
Every cost below is written once and evaluated on whatever numbers the layer holds, so the
integer count of a concrete block, the vectorised count of a whole design space and the
symbolic formula of a family all come from the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence


def exact_div(a: Any, b: Any) -> Any:
    """a / b where b divides a: integer division on ints and arrays, a true quotient on symbols."""
    if isinstance(a, int) and isinstance(b, int):
        q, r = divmod(a, b)
        if r:
            raise ValueError(f"{b} does not divide {a}")
        return q
    if hasattr(a, "dtype") or hasattr(b, "dtype"):
        return a // b
    return a / b


@dataclass(frozen=True)
class GroupConv:
    """A k×k convolution from cin to cout channels in `groups` independent branches."""

    cin: Any
    cout: Any
    groups: Any = 1
    k: Any = 1
    stride: Any = 1
    name: str = "conv"

    @property
    def kind(self) -> str:
        return "conv"

    def params(self) -> Any:
        """Weights only (no bias): (cin/groups)·(cout/groups)·k²·groups."""
        return exact_div(self.cin * self.cout, self.groups) * self.k**2

    def mult_adds(self, positions: Any) -> Any:
        """Multiply-accumulates for `positions` output pixels (H·W of the output map)."""
        return self.params() * positions

    def mem_access(self, positions: Any) -> Any:
        """ShuffleNet V2 memory access cost: input map + output map + weights, in elements."""
        return self.cin * positions * self.stride**2 + self.cout * positions + self.params()

    def width_out(self) -> Any:
        return self.cout


@dataclass(frozen=True)
class Permute:
    """A channel permutation of `width` channels.

    Either a channel shuffle with `groups` groups (view (g, C/g), transpose, flatten) or an
    explicit `perm`, where output channel j is input channel perm[j].
    """

    width: Any
    groups: Any = None
    perm: tuple[int, ...] | None = field(default=None, compare=True)
    name: str = "permute"

    @property
    def kind(self) -> str:
        return "permute"

    def params(self) -> Any:
        return 0

    def mult_adds(self, positions: Any) -> Any:
        return 0

    def moves(self) -> Any:
        """1 when the permutation moves data, 0 for the identity (elementwise on arrays)."""
        if self.perm is not None:
            return int(any(j != p for j, p in enumerate(self.perm)))
        identity = (self.groups == 1) | (self.groups == self.width)
        if hasattr(identity, "dtype"):
            return 1 - identity.astype(int)
        return 0 if identity is True else 1

    def mem_access(self, positions: Any) -> Any:
        """Read and write of the whole map: 2·H·W·C, or nothing for the identity."""
        return 2 * positions * self.width * self.moves()

    def width_out(self) -> Any:
        return self.width

    def index_map(self) -> list[int]:
        """Output channel j is input channel index_map()[j] (concrete permutations only)."""
        if self.perm is not None:
            return list(self.perm)
        return shuffle_index_map(int(self.width), int(self.groups))


def shuffle_index_map(width: int, groups: int) -> list[int]:
    """Channel shuffle with g groups: position a·g + b takes channel b·(C/g) + a."""
    per = width // groups
    return [b * per + a for a in range(per) for b in range(groups)]


def is_identity_shuffle(width: Any, groups: Any) -> bool:
    """True when a shuffle is decidably the identity (g = 1 or g = C), on ints or symbols."""
    try:
        return bool(groups == 1) or bool(groups == width)
    except (TypeError, ValueError):  # numpy arrays: not decidable as one bool
        return False


Layer = GroupConv | Permute


def chain_params(chain: Sequence[Layer]) -> Any:
    """Total weights of a chain."""
    return sum((layer.params() for layer in chain), 0)


def chain_mult_adds(chain: Sequence[Layer], positions: Any) -> Any:
    """Total multiply-accumulates of a chain for `positions` output pixels."""
    return sum((layer.mult_adds(positions) for layer in chain), 0)


def chain_mem_access(chain: Sequence[Layer], positions: Any) -> Any:
    """Total ShuffleNet V2 memory access cost of a chain."""
    return sum((layer.mem_access(positions) for layer in chain), 0)


def convs(chain: Sequence[Layer]) -> list[GroupConv]:
    """The convolutions of a chain, in order."""
    return [layer for layer in chain if isinstance(layer, GroupConv)]
