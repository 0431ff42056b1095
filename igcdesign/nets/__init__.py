"""Whole networks built from the block model: specs, layer tables, exact counts (no torch here;
the same network as an ``nn.Module`` is :func:`igcdesign.probe.networks.build_torch_net`, whose
parameter count equals ``count_net(...).params`` under the same options).

Public API:

- :func:`parse_net` — NETSPEC text ('igcv1-cifar:L=4,M=8,D=20', 'mobilenetv2:alpha=0.75',
  'net.yaml', ...) → :class:`~igcdesign.nets.model.Network` (stages of units of layers).
- :func:`count_net` — ``count_net(spec, classes=None, resolution=None, bn=False, fc=True)`` →
  :class:`~igcdesign.nets.counting.NetCount` (params, mult_adds, mem_access, per-stage rows).

Module map: model (data + chain helpers), values (spec values), cifar / imagenet (the papers'
layouts), userfile (YAML/JSON stage files), netspec (the registry), counting, probe_hook (networks
as probe targets).
"""

from __future__ import annotations

from igcdesign.nets.counting import NetCount, StageCount, count_net
from igcdesign.nets.netspec import PRESETS, parse_net

__all__ = ["NetCount", "PRESETS", "StageCount", "count_net", "parse_net"]
