"""Exact integer counts of a whole network, stage by stage, from its layers' own cost methods.

Conventions (docs/conventions.md §2):

- params: conv weights, plus the classifier's weights and bias (none where the network's
  ``fc_bias`` is false) unless ``fc=False``, plus BN γ and
  β (2 per channel per BN layer) with ``bn=True``; never running statistics.
- mult_adds: each conv's ``mult_adds(positions)`` with positions = H·W of *that conv's output*,
  found by walking the network from the input resolution with the conv arithmetic of
  :func:`igcdesign.layers.conv_out_side` (and each pool's own). Layers before a strided conv in a
  block run at the input resolution (the expansion conv of an inverted bottleneck); the CIFAR
  down-sampling blocks carry the stride on their first conv, so all their convs count at the
  output resolution, as networks.md asks. A unit's second path (projection shortcut, pool,
  ShuffleNet's branch) starts from the unit's input map. The classifier adds its weights (one
  position); bias additions, BN, activations, pooling, shortcuts, splits and concats add none.
- mem_access: each conv's and permutation's ``mem_access(positions, in_positions)`` at its own
  output and input maps (ShuffleNet V2: input +
  output maps + weights; 2·H·W·C per moving permutation); the classifier as a 1×1 conv on one
  position plus its bias. BN (folded at inference), activations, pooling and shortcut additions
  are not counted.

The input side must be a multiple of the network's total stride, so every map divides exactly
and the counts are those of the torch module at that resolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Iterator

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, layer_sides
from igcdesign.nets.model import Network, Unit
from igcdesign.nets.netspec import parse_net

MAX_RESOLUTION = 1 << 16
MAX_CLASSES = 1 << 24


@dataclass(frozen=True)
class StageCount:
    """One row of the breakdown: a stage's totals, its output width and output side."""

    name: str
    blocks: int
    params: int
    mult_adds: int
    mem_access: int
    width: int
    resolution: int
    bn_params: int = 0


@dataclass(frozen=True)
class NetCount:
    """Totals and per-stage rows of a network under one counting option set."""

    net: str
    params: int
    mult_adds: int
    mem_access: int
    classes: int
    resolution: int
    bn: bool
    fc: bool
    stages: list[StageCount] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "net": self.net,
            "params": self.params,
            "mult_adds": self.mult_adds,
            "mem_access": self.mem_access,
            "classes": self.classes,
            "resolution": self.resolution,
            "bn": self.bn,
            "fc": self.fc,
            "stages": [asdict(s) for s in self.stages],
        }


def check_options(net: Network, classes: int | None, resolution: int | None) -> tuple[int, int]:
    """The classes and input side to use; IGCError when they cannot work for this network."""
    classes_from = "--classes" if classes is not None else f"{net.name}'s classes"
    resolution_from = "--resolution" if resolution is not None else f"{net.name}'s resolution"
    classes = net.classes if classes is None else classes
    resolution = net.resolution if resolution is None else resolution
    if isinstance(classes, bool) or not isinstance(classes, int) or not 1 <= classes <= MAX_CLASSES:
        raise IGCError(f"{classes_from} must be between 1 and {MAX_CLASSES}, got {classes}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 1 <= resolution <= MAX_RESOLUTION:
        raise IGCError(f"{resolution_from} must be between 1 and {MAX_RESOLUTION}, got {resolution}")
    stride = net.total_stride
    if resolution % stride:
        smallest = "" if resolution > stride else " (too small for its strides)"
        raise IGCError(
            f"{resolution_from} {resolution} does not fit {net.name}{smallest}: its strides divide the side by "
            f"{stride}, so the side must be a multiple of {stride}"
        )
    return classes, resolution


def classifier(cin: int, classes: int) -> GroupConv:
    """The FC layer as a 1×1 conv on one position (its bias is added by the callers)."""
    return GroupConv(cin, classes, 1, 1, name="fc")


def unit_sides(unit: Unit, side: int) -> tuple[list[tuple[Any, int, int]], int]:
    """(layer, input side, output side) of every layer of a unit entered at side×side — the
    body's, then the second path's (from the same input), then the permutations after the join
    — and the unit's output side. IGCError when a stride or a pool does not fit the map, or the
    two paths end at different sides."""
    try:
        body = layer_sides(unit.layers, side)
        out = body[-1][2] if body else side
        rows = list(body)
        if unit.side is not None:
            branch = layer_sides(unit.side.layers, side)
            rows += branch
            other = branch[-1][2] if branch else side
            if unit.side.pool is not None:
                other = unit.side.pool.out_side(other)
            if other != out:
                raise ValueError(f"its two paths end at {out}×{out} and {other}×{other}")
        elif unit.joined and out != side:
            raise ValueError(f"an identity path cannot join a body that maps {side}×{side} to {out}×{out}")
        rows += [(layer, out, out) for layer in unit.after]
        if unit.pool is not None:
            out = unit.pool.out_side(out)
    except ValueError as e:
        raise IGCError(f"{unit.name} on a {side}×{side} map: {e}") from None
    return rows, out


def walk(units: Iterable[Unit], side: int) -> Iterator[tuple[Unit, Any, int, int]]:
    """(unit, layer, output positions, input positions of that layer) for every layer, entering
    at side×side."""
    for unit in units:
        rows, side = unit_sides(unit, side)
        for layer, side_in, out in rows:
            yield unit, layer, out * out, side_in * side_in


def unit_segments(unit: Unit) -> tuple:
    """Every segment of a unit: the body's and the second path's."""
    return unit.segments + (unit.side.segments if unit.side is not None else ())


def count_unit(unit: Unit, side: int, bn: bool) -> tuple[int, int, int, int, int]:
    """(params, mult_adds, mem_access, bn_params, output side) of a unit entered at `side`."""
    params = mult_adds = mem = 0
    rows, out = unit_sides(unit, side)
    for layer, side_in, side_out in rows:
        params += layer.params()
        mult_adds += layer.mult_adds(side_out * side_out)
        mem += layer.mem_access(side_out * side_out, side_in * side_in)
    bn_params = sum(2 * segment.cout for segment in unit_segments(unit) if segment.bn) if bn else 0
    return params + bn_params, mult_adds, mem, bn_params, out


def count_net(spec: str | Network, classes: int | None = None, resolution: int | None = None, bn: bool = False, fc: bool = True) -> NetCount:
    """Exact counts of a network spec (or a parsed :class:`Network`); never imports torch."""
    net = parse_net(spec)
    classes, resolution = check_options(net, classes, resolution)
    side = resolution
    rows: list[StageCount] = []
    for stage in net.stages:
        p = m = a = b = 0
        for unit in stage.units:
            up, um, ua, ub, side = count_unit(unit, side, bn)
            p, m, a, b = p + up, m + um, a + ua, b + ub
        rows.append(StageCount(stage.name, len(stage.units), p, m, a, stage.cout, side, b))
    if fc:
        layer = classifier(net.width, classes)
        bias = classes if net.fc_bias else 0
        rows.append(
            StageCount("classifier", 1, layer.params() + bias, layer.mult_adds(1), layer.mem_access(1) + bias, classes, 1)
        )
    return NetCount(
        net=net.name,
        params=sum(r.params for r in rows),
        mult_adds=sum(r.mult_adds for r in rows),
        mem_access=sum(r.mem_access for r in rows),
        classes=classes,
        resolution=resolution,
        bn=bn,
        fc=fc,
        stages=rows,
    )
