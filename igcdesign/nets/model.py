"""A whole network as data: stages of units, each unit a chain of layers from the block model.

Every layer is a :class:`~igcdesign.layers.GroupConv` (with its stride) or a
:class:`~igcdesign.layers.Permute`, built by a family (``Family.make``) or by
:func:`~igcdesign.families.make_chain`, so a network's counts are the layers' own cost methods
and the torch build is the probe's ``chain_module`` of the same layers.

A unit is split into *segments*: a run of layers that ends where the network puts a BN (when
BN is on) and an activation. The IGCV1 paper's CIFAR blocks are one segment (the whole IGC
block, then BN and ReLU, as in the official ``plain_igc.py``); an inverted bottleneck is three
(one per conv, BN after each, ReLU6 after the channel-wise conv).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterator

from igcdesign.errors import SpecError
from igcdesign.layers import GroupConv


@dataclass(frozen=True)
class Segment:
    """Layers followed by an optional BN (counted only with --bn) and an activation."""

    layers: tuple
    bn: bool = True
    act: str | None = "relu"

    @property
    def cout(self) -> int:
        return [layer for layer in self.layers if isinstance(layer, GroupConv)][-1].cout


@dataclass(frozen=True)
class Pool:
    """A k×k max or average pool (no weights, one path per channel): output side
    ⌊(side + 2·padding − k)/stride⌋ + 1, or with ceil_mode rounded up as torch does."""

    kind: str  # "max" or "avg" (average pools count the padding, torch's default)
    k: int
    stride: int
    padding: int = 0
    ceil_mode: bool = False

    def out_side(self, side: int) -> int:
        span = side + 2 * self.padding - self.k
        if span < 0:
            raise ValueError(f"a {self.k}×{self.k} {self.kind} pool does not fit a {side}×{side} map")
        if not self.ceil_mode:
            return span // self.stride + 1
        out = -(-span // self.stride) + 1
        if (out - 1) * self.stride >= side + self.padding:  # torch: the last window starts inside
            out -= 1
        return out

    def text(self) -> str:
        return f"{self.kind} pool {self.k}×{self.k}, stride {self.stride}"


@dataclass(frozen=True)
class Branch:
    """The second path of a unit, from the unit's input: convs (segments, e.g. a projection
    1×1 conv with stride and BN), a pool (ShuffleNet V1's average-pool shortcut), or neither
    (the identity)."""

    segments: tuple[Segment, ...] = ()
    pool: Pool | None = None

    @property
    def layers(self) -> tuple:
        return tuple(layer for segment in self.segments for layer in segment.layers)


@dataclass(frozen=True)
class Unit:
    """One block of the network (or its stem / head conv): the body's segments and how a second
    path joins it.

    ``shortcut`` alone is an identity addition. ``side`` is a second path from the input
    (:class:`Branch`), joined by ``merge`` ('add' or 'concat'; ``side_first`` puts its channels
    first). ``split`` halves the input channels: the first half is the identity path (``side``
    None) and the body reads the second half (ShuffleNet V2). ``after`` holds permutations applied
    after the join (ShuffleNet's shuffle), ``act`` an activation after the join, ``pool`` a
    pooling after everything (ResNet's stem max pool).

    ``spec`` is the block spec the unit was made from; ``note`` says how the unit departs from
    it (a stride, a width change), so that people can read the layer list.
    """

    name: str
    spec: str
    segments: tuple[Segment, ...]
    shortcut: bool = False
    note: str = ""
    side: Branch | None = None
    merge: str = "add"
    side_first: bool = False
    split: bool = False
    after: tuple = ()
    act: str | None = None
    pool: Pool | None = None

    @property
    def layers(self) -> tuple:
        return tuple(layer for segment in self.segments for layer in segment.layers)

    @property
    def convs(self) -> list[GroupConv]:
        return [layer for layer in self.layers if isinstance(layer, GroupConv)]

    @property
    def joined(self) -> bool:
        """Whether a second path joins the body (identity, projection, pool or split half)."""
        return self.shortcut or self.side is not None or self.split

    @property
    def cin(self) -> int:
        body = self.convs[0].cin
        return 2 * body if self.split else body

    @property
    def side_width(self) -> int:
        """Channels the second path delivers: its last conv's, else the channels it reads."""
        if self.side is not None and self.side.segments:
            return [layer for layer in self.side.layers if isinstance(layer, GroupConv)][-1].cout
        return self.cin // 2 if self.split else self.cin

    @property
    def cout(self) -> int:
        body = self.convs[-1].cout
        return body + self.side_width if self.merge == "concat" and self.joined else body

    @property
    def stride(self) -> int:
        product = 1
        for conv in self.convs:
            product *= conv.stride
        return product * (self.pool.stride if self.pool else 1)


@dataclass(frozen=True)
class Stage:
    """A named group of units, one row of the per-stage breakdown."""

    name: str
    units: tuple[Unit, ...]

    @property
    def cout(self) -> int:
        return self.units[-1].cout


@dataclass(frozen=True)
class Network:
    """Stem, stages and head convs of a network; the classifier is added by counting / building.

    ``resolution`` and ``classes`` are the network's native input side and class count, used
    when the caller gives none; ``fc_bias`` whether the classifier has a bias (pytorchcv's
    MobileNetV2 ends with a 1×1 conv without one).
    """

    name: str
    family: str
    stages: tuple[Stage, ...]
    resolution: int
    classes: int
    in_channels: int = 3
    summary: str = ""
    fc_bias: bool = True

    @property
    def width(self) -> int:
        """Channels entering the global pool (the classifier's input)."""
        return self.stages[-1].cout

    @property
    def total_stride(self) -> int:
        product = 1
        for unit in self.units():
            product *= unit.stride
        return product

    def units(self) -> Iterator[Unit]:
        for stage in self.stages:
            yield from stage.units


# --- building helpers shared by every layout ------------------------------------------------


def split_at_convs(chain: tuple) -> list[tuple]:
    """A chain cut after each conv's trailing permutations: one piece per conv."""
    pieces: list[list] = []
    for layer in chain:
        if isinstance(layer, GroupConv) or not pieces:
            pieces.append([layer])
        else:
            pieces[-1].append(layer)
    return [tuple(piece) for piece in pieces]


def spatial_index(chain: tuple) -> int:
    """Index of the layer that carries a block's stride: its first k×k conv (k > 1), else its first conv."""
    conv_indices = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv)]
    for i in conv_indices:
        if chain[i].k > 1:
            return i
    return conv_indices[0]


def with_stride(chain: tuple, stride: int) -> tuple:
    """The chain with `stride` on its spatial conv (layers before it run at the input resolution)."""
    if stride == 1:
        return tuple(chain)
    i = spatial_index(chain)
    layers = list(chain)
    layers[i] = dataclasses.replace(layers[i], stride=stride)
    return tuple(layers)


def widen_first_conv(chain: tuple, cin: int, what: str) -> tuple:
    """The chain with its first conv taking `cin` channels instead of the block's width.

    This is the IGCV1 CIFAR layout's down-sampling block ("the primary conv maps the previous
    width to the new one with L groups"), applied to every family whose first conv is the
    spatial one. A channel-wise first conv (groups = its cin) stays channel-wise on the new
    input: `cin` groups, each producing cout/cin channels (a channel multiplier).
    """
    first = chain[0]
    if not isinstance(first, GroupConv):
        raise SpecError(f"{what}: the block does not start with a conv")
    if first.cin == cin:
        return tuple(chain)
    groups = cin if first.groups == first.cin else first.groups
    if cin % groups or first.cout % groups:
        raise SpecError(
            f"{what}: {groups} groups do not divide the {cin} → {first.cout} channels of the first conv"
        )
    if groups == cin and first.cout % cin:
        raise SpecError(f"{what}: a channel-wise conv cannot map {cin} → {first.cout} channels")
    return (dataclasses.replace(first, cin=cin, groups=groups), *chain[1:])


def conv_unit(name: str, cin: int, cout: int, k: int, stride: int, act: str | None, groups: int = 1,
              pool: Pool | None = None) -> Unit:
    """A k×k conv (dense, or with `groups`) with BN and activation, optionally followed by a
    pool (stems and heads)."""
    from igcdesign.families import get_family

    if cin % groups or cout % groups:
        raise SpecError(f"{name}: {groups} groups do not divide {cin} → {cout} channels")
    conv = GroupConv(cin, cout, groups, k, stride, name=f"{k}×{k} conv" + (f" ({groups} groups)" if groups > 1 else ""))
    spec = get_family("chain").make(W=(cin, cout), G=(groups,), k=(k,), s=(stride,)).spec
    if cin == cout and groups == 1:
        spec = get_family("regular").make(C=cout, k=k, s=stride).spec
    extra = [part for part in (note(stride), pool.text() if pool else "") if part]
    return Unit(name, spec, (Segment((conv,), True, act),), note=", ".join(extra), pool=pool)


def chain_segments(made, acts: list[str | None]) -> tuple[Segment, ...]:
    """A block's chain cut into one segment per conv (its trailing permutations with it), each
    followed by BN and acts[i] (BN and an activation between the convs of a block)."""
    pieces = split_at_convs(made.chain)
    if len(pieces) != len(acts):
        raise SpecError(f"{made.spec}: {len(pieces)} convs for {len(acts)} activations")  # pragma: no cover
    return tuple(Segment(piece, True, act) for piece, act in zip(pieces, acts))


def note(stride: int, cin: int | None = None, width: int | None = None) -> str:
    """How a unit departs from its block spec: a width change and/or a stride."""
    parts = []
    if cin is not None and width is not None and cin != width:
        parts.append(f"{cin}→{width} channels")
    if stride != 1:
        parts.append(f"stride {stride}")
    return ", ".join(parts)
