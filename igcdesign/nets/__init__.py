"""Whole networks built from the block model: specs, layer tables, exact counts, torch modules.

Public API (counting never imports torch; building does, lazily):

- :func:`parse_net` — NETSPEC text ('igcv1-cifar:L=4,M=8,D=20', 'mobilenetv2:alpha=0.75',
  'net.yaml', ...) → :class:`~igcdesign.nets.model.Network` (stages of units of layers).
- :func:`count_net` — ``count_net(spec, classes=None, resolution=None, bn=False, fc=True)`` →
  :class:`~igcdesign.nets.counting.NetCount` (params, mult_adds, mem_access, per-stage rows).
- :func:`build_torch_net` — the same network as an ``nn.Module`` whose parameter count equals
  ``count_net(...).params`` under the same options.
- :func:`net_target` — a resolver for ``igcdesign.probe.targets.RESOLVERS`` (whole-network probes).

Module map: model (data + chain helpers), values (spec values), cifar / imagenet (the papers'
layouts), userfile (YAML/JSON stage files), netspec (the registry), counting, torch_build.
"""

from __future__ import annotations

from typing import Any

from igcdesign.nets.counting import NetCount, StageCount, count_net
from igcdesign.nets.netspec import PRESETS, parse_net


def build_torch_net(spec: Any, classes: int | None = None, resolution: int | None = None, bn: bool = False, fc: bool = True):
    """The network as an ``nn.Module`` (imports torch); see :mod:`igcdesign.nets.torch_build`."""
    from igcdesign.nets.torch_build import build_torch_net as build

    return build(spec, classes=classes, resolution=resolution, bn=bn, fc=fc)


def net_target(text: str, hw: int):
    """Probe resolver: a Target for a network spec, None for anything else (see probe_hook)."""
    from igcdesign.nets.probe_hook import net_target as resolve

    return resolve(text, hw)


__all__ = ["NetCount", "PRESETS", "StageCount", "build_torch_net", "count_net", "net_target", "parse_net"]
