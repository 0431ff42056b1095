"""A network (:mod:`igcdesign.nets`) as an ``nn.Module``: the chain modules of every segment, plus
stem, head, BN/ReLU(6), identity shortcuts, global pool and classifier. Imports torch.

The module's parameter count equals :func:`igcdesign.nets.count_net` under the same ``bn`` and
``fc`` options: with ``bn=False`` no BatchNorm is built at all, with ``fc=False`` the module ends
at the pooled features. Shortcuts are identity additions (no parameters).
"""

from __future__ import annotations

from typing import Any

from igcdesign.nets.counting import check_options, count_net
from igcdesign.nets.model import Network, Unit
from igcdesign.nets.netspec import parse_net
from igcdesign.probe import require_torch

torch = require_torch()
from torch import nn  # noqa: E402

from igcdesign.probe.fast import build  # noqa: E402

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6}


class Residual(nn.Module):
    """x + body(x): an identity shortcut around a unit."""

    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def unit_module(unit: Unit, bn: bool, impl: str = "plain") -> nn.Module:
    """The unit's segments in order: chain module (BN after it when on), then its activation."""
    layers: list[nn.Module] = []
    for segment in unit.segments:
        layers.append(build(segment.layers, impl, bn=bn and segment.bn))
        if segment.act is not None:
            layers.append(ACTIVATIONS[segment.act](inplace=not unit.shortcut))
    body = nn.Sequential(*layers)
    return Residual(body) if unit.shortcut else body


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
        self.features = nn.Sequential(
            *(nn.Sequential(*(unit_module(u, bn, impl) for u in stage.units)) for stage in net.stages)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(net.width, classes, bias=True) if fc else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def build_torch_net(spec: Any, classes: int | None = None, resolution: int | None = None, bn: bool = False, fc: bool = True,
                    impl: str = "plain") -> IGCNet:
    """The network a NETSPEC (or :class:`Network`) names, as an ``nn.Module`` in eval mode; its
    blocks built as `impl` ('plain' or 'fast', :func:`igcdesign.probe.fast.build`)."""
    net = parse_net(spec)
    classes, resolution = check_options(net, classes, resolution)
    return IGCNet(net, classes, resolution, bn, fc, impl).eval()
