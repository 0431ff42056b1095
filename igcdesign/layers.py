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

    def mem_access(self, positions: Any, in_positions: Any = None) -> Any:
        """ShuffleNet V2 memory access cost: input map + output map + weights, in elements.

        `in_positions` is H·W of the input map; by default positions·stride², exact when the
        stride divides the input side (give it otherwise: :func:`layer_sides` walks a chain)."""
        if in_positions is None:
            in_positions = positions * self.stride**2
        return self.cin * in_positions + self.cout * positions + self.params()

    def out_side(self, side: int) -> int:
        """The output map side for an input side (:func:`conv_out_side`)."""
        return conv_out_side(side, self.k, self.stride)

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

    def mem_access(self, positions: Any, in_positions: Any = None) -> Any:
        """Read and write of the whole map: 2·H·W·C, or nothing for the identity. `in_positions`
        is taken as a conv's is, so that every layer is costed by one call; a permutation's input
        map is its output map."""
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


def conv_padding(k: int, stride: int) -> int | str:
    """The padding of every conv the tools build and count: k//2 for odd k (the map keeps its
    size at stride 1); 'same' for even k at stride 1; (k − 1)//2 for even k at a stride."""
    if k % 2 == 1:
        return k // 2
    return "same" if stride == 1 else (k - 1) // 2


def conv_out_side(side: int, k: int, stride: int) -> int:
    """Output side of a k×k conv with `stride` on a side×side map, padded by :func:`conv_padding`:
    ⌊(side + 2p − k)/stride⌋ + 1, which is ⌈side/stride⌉ for odd k (docs/conventions.md §1)."""
    pad = conv_padding(k, stride)
    if pad == "same":
        return side
    return (side + 2 * pad - k) // stride + 1


def layer_sides(chain: Sequence[Layer], side: int) -> list[tuple[Any, int, int]]:
    """(layer, input side, output side) for every layer of a chain entered at side×side.

    ValueError (naming the layer) when a conv's stride is larger than the map it reads."""
    rows = []
    for layer in chain:
        out = side
        if isinstance(layer, GroupConv):
            if layer.stride > side:
                raise ValueError(f"{layer.name}: stride {layer.stride} is larger than its {side}×{side} input map")
            out = layer.out_side(side)  # ≥ 1 whenever stride ≤ side (padding of conv_padding)
        rows.append((layer, side, out))
        side = out
    return rows


def positioned(chain: Sequence[Layer], side: int) -> list[tuple[Any, int, int]]:
    """(layer, output positions, input positions) of every layer of a chain entered at
    side×side (:func:`layer_sides` squared): what each layer's ``mem_access(positions,
    in_positions)`` needs to be exact where a stride does not divide its input side."""
    return [(layer, out * out, inside * inside) for layer, inside, out in layer_sides(chain, side)]


def chain_params(chain: Sequence[Layer]) -> Any:
    """Total weights of a chain."""
    return sum((layer.params() for layer in chain), 0)


def chain_mult_adds(chain: Sequence[Layer], positions: Any) -> Any:
    """Total multiply-accumulates of a chain for `positions` output pixels (every layer at the
    same map: a stride-1 chain; a strided one is walked with :func:`layer_sides`)."""
    return sum((layer.mult_adds(positions) for layer in chain), 0)


def chain_mem_access(chain: Sequence[Layer], positions: Any) -> Any:
    """Total ShuffleNet V2 memory access cost of a chain, every layer at `positions` (a stride-1
    chain; a strided one is walked with :func:`positioned`)."""
    return sum((layer.mem_access(positions) for layer in chain), 0)


def convs(chain: Sequence[Layer]) -> list[GroupConv]:
    """The convolutions of a chain, in order."""
    return [layer for layer in chain if isinstance(layer, GroupConv)]
