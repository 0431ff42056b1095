"""A network (:mod:`igcdesign.nets`) as an ``nn.Module``: the chain modules of every segment, plus
stem, head, BN/ReLU(6), shortcuts (identity, projection, pool), splits and concats, pools, global
pool and classifier. Imports torch.

The module's parameter count equals :func:`igcdesign.nets.count_net` under the same ``bn`` and
``fc`` options: with ``bn=False`` no BatchNorm is built at all, with ``fc=False`` the module ends
at the pooled features.
"""

from __future__ import annotations

from typing import Any

from igcdesign.nets.counting import check_options, count_net
from igcdesign.nets.model import Network, Unit
from igcdesign.nets.netspec import parse_net
from igcdesign.probe import require_torch

torch = require_torch()
from torch import nn  # noqa: E402

from igcdesign.probe.fast import build, fold_plan  # noqa: E402

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6}


class Residual(nn.Module):
    """x + body(x): an identity shortcut around a unit."""

    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def pool_module(pool) -> nn.Module:
    """The torch pool of a :class:`~igcdesign.nets.model.Pool` (average pools count the padding)."""
    if pool.kind == "max":
        return nn.MaxPool2d(pool.k, pool.stride, pool.padding, ceil_mode=pool.ceil_mode)
    return nn.AvgPool2d(pool.k, pool.stride, pool.padding, ceil_mode=pool.ceil_mode)


def segments_module(segments, bn: bool, impl: str, inplace: bool, folds: list[tuple[int, bool]] | None = None) -> nn.Sequential:
    """Segments in order: chain module (BN after it when on), then its activation; `folds` gives
    each segment's (shuffle_in, drop_tail) for the fast build (see :func:`network_folds`)."""
    layers: list[nn.Module] = []
    for i, segment in enumerate(segments):
        shuffle_in, drop_tail = folds[i] if folds else (0, False)
        layers.append(build(segment.layers, impl, bn=bn and segment.bn, shuffle_in=shuffle_in, drop_tail=drop_tail))
        if segment.act is not None:
            layers.append(ACTIVATIONS[segment.act](inplace=inplace))
    return nn.Sequential(*layers)


class JoinedUnit(nn.Module):
    """A unit whose second path joins its body: identity, projection or pool shortcut, added or
    concatenated; a channel split (first half identity, body on the second half); then the
    permutations after the join, an activation and a pool, as the Unit describes."""

    def __init__(self, unit: Unit, bn: bool, impl: str):
        super().__init__()
        self.body = segments_module(unit.segments, bn, impl, inplace=False)
        side: list[nn.Module] = []
        if unit.side is not None:
            if unit.side.segments:
                side.append(segments_module(unit.side.segments, bn, impl, inplace=False))
            if unit.side.pool is not None:
                side.append(pool_module(unit.side.pool))
        self.side = nn.Sequential(*side)  # empty: the identity
        self.split = unit.split
        self.concat = unit.merge == "concat"
        self.side_first = unit.side_first
        self.after = build(unit.after, "plain") if unit.after else nn.Identity()
        self.act = ACTIVATIONS[unit.act]() if unit.act else nn.Identity()
        self.pool = pool_module(unit.pool) if unit.pool else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.split:
            other, x = torch.chunk(x, 2, dim=1)
        else:
            other = self.side(x)
        y = self.body(x)
        if self.concat:
            y = torch.cat((other, y) if self.side_first else (y, other), dim=1)
        else:
            y = y + other
        return self.pool(self.act(self.after(y)))


def unit_module(unit: Unit, bn: bool, impl: str = "plain", folds: list[tuple[int, bool]] | None = None) -> nn.Module:
    """The unit as a module: its segments in order (an identity shortcut around them when it has
    one), or a :class:`JoinedUnit` when a second path, a join activation or a pool is described."""
    if unit.side is not None or unit.split or unit.after or unit.act or unit.pool:
        if not unit.joined:  # a plain body with a trailing activation or pool
            tail = [ACTIVATIONS[unit.act]()] if unit.act else []
            tail += [pool_module(unit.pool)] if unit.pool else []
            return nn.Sequential(segments_module(unit.segments, bn, impl, inplace=True), *tail)
        return JoinedUnit(unit, bn, impl)
    body = segments_module(unit.segments, bn, impl, inplace=not unit.shortcut, folds=folds)
    return Residual(body) if unit.shortcut else body


def _simple(unit: Unit) -> bool:
    """A unit that is its segments (and at most an identity shortcut): no second path, split,
    permutation after a join, join activation or pool."""
    return not (unit.side is not None or unit.split or unit.after or unit.act or unit.pool)


def network_folds(net: Network, bn: bool) -> list[list[tuple[int, bool]]]:
    """Per unit, per segment: (shuffle_in, drop_tail) for the fast build. A segment's trailing
    shuffle (IGCV1's permute-back) is left to the next segment, which reads through it, where no
    BN follows it and nothing intervenes: no shortcut, second path, join or pool, inside a simple
    unit or between two simple units without shortcuts (:func:`igcdesign.probe.fast.fold_plan`)."""
    units = list(net.units())
    flat, where = [], []
    for u, unit in enumerate(units):
        for i, segment in enumerate(unit.segments):
            last = i == len(unit.segments) - 1
            after = units[u + 1] if last and u + 1 < len(units) else None
            if not _simple(unit):
                alone = False
            elif not last:
                alone = True
            else:
                alone = after is not None and _simple(after) and not unit.shortcut and not after.shortcut
            flat.append((segment.layers, bn and segment.bn, alone))
            where.append((u, i))
    folds = fold_plan(flat)
    out: list[list[tuple[int, bool]]] = [[(0, False)] * len(unit.segments) for unit in units]
    for (u, i), fold in zip(where, folds):
        out[u][i] = fold
    return out


class IGCNet(nn.Module):
    """features (stages of units) → global average pool → flatten → optional classifier.

    ``net`` is the :class:`Network` it was built from, ``counted`` its NetCount under the same
    options, ``input_shape`` the (C, H, W) of one sample at the counted resolution.
    """

    def __init__(self, net: Network, classes: int, resolution: int, bn: bool, fc: bool, impl: str = "plain"):
        super().__init__()
        self.net = net
        self.counted = count_net(net, classes=classes, resolution=resolution, bn=bn, fc=fc)
        self.input_shape = (net.in_channels, resolution, resolution)
        folds = iter(network_folds(net, bn) if impl == "fast" else [])
        self.features = nn.Sequential(
            *(nn.Sequential(*(unit_module(u, bn, impl, next(folds, None)) for u in stage.units)) for stage in net.stages)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(net.width, classes, bias=net.fc_bias) if fc else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def build_torch_net(spec: Any, classes: int | None = None, resolution: int | None = None, bn: bool = False, fc: bool = True,
                    impl: str = "plain") -> IGCNet:
    """The network a NETSPEC (or :class:`Network`) names, as an ``nn.Module`` in eval mode; its
    blocks built as `impl` ('plain' or 'fast', :func:`igcdesign.probe.fast.build`)."""
    net = parse_net(spec)
    classes, resolution = check_options(net, classes, resolution)
    return IGCNet(net, classes, resolution, bn, fc, impl).eval()
