"""Whole networks as probe targets: registers the network kind with :mod:`igcdesign.probe.targets`.

Importing this module makes the probe build networks ('igcv1-cifar:L=4,M=8,D=20', 'mobilenetv2',
a stage file) beside blocks; :mod:`igcdesign.probe.measure` imports it. A network is measured at
its native resolution (32 for the CIFAR networks, 224 for ImageNet, the file's own) unless
:func:`target_at` is given one; the probe's ``hw`` is a block's map side and is not applied to
networks. Nothing here imports torch until the target's factory is called.
"""

from __future__ import annotations

from igcdesign.families import FAMILIES
from igcdesign.nets.counting import check_options, classifier, count_net, walk
from igcdesign.nets.netspec import PRESET_KEYS, PRESETS, parse_net
from igcdesign.probe.targets import Target, TargetKind, map_footprint, register_target_kind
from igcdesign.spec import split_spec


def is_net_spec(text: str) -> bool:
    """True when the text names a network (a preset or a stage file), without validating it.

    'mobilenetv2' names both a network and a block family: it is the network unless the spec
    has a key the network does not take ('mobilenetv2:C=24,t=6' is the bottleneck block).
    """
    from igcdesign.nets.userfile import looks_like_file

    if not isinstance(text, str) or not text.strip():
        return False
    name = text.strip().partition(":")[0].strip().lower()
    if name not in PRESETS:
        return looks_like_file(text)
    if name not in FAMILIES:
        return True
    _, items = split_spec(text)
    return set(items) <= set(PRESET_KEYS[name])


def target_at(text, resolution: int | None = None, classes: int | None = None, fc: bool = True) -> Target:
    """The probe Target of a network spec (or Network) at `resolution` (None: native), with
    `classes` outputs (None: the network's) and the classifier unless `fc` is False."""
    net = parse_net(text)
    classes, side = check_options(net, classes, resolution)
    counted = count_net(net, classes=classes, resolution=side, bn=False, fc=fc)
    activations, workspace = map_footprint(
        net.in_channels * side * side, ((layer, positions) for _, layer, positions, _ in walk(net.units(), side))
    )
    kernel = max(c.k for u in net.units() for c in u.convs)

    def factory(bn: bool = False, relu: bool = False, impl: str = "plain"):
        """The torch network (``relu`` is ignored: a network has its own activations)."""
        from igcdesign.probe.networks import build_torch_net

        return build_torch_net(net, classes=classes, resolution=side, bn=bn, fc=fc, impl=impl)

    return Target(
        spec=net.name,
        kind="network",
        family=net.family,
        width=int(net.width),
        params=counted.params,
        mult_adds=counted.mult_adds,
        mem_access=counted.mem_access,
        input_shape=(net.in_channels, side, side),
        activations=int(activations + classes),
        factory=factory,
        kernel=int(kernel),
        workspace=int(workspace),
        floor_layers=tuple((layer, positions, read) for _, layer, positions, read in walk(net.units(), side))
        + (((classifier(net.width, classes), 1),) if fc else ()),
    )


def net_target(text: str, hw: int) -> Target:
    """A network spec's Target at its native resolution (`hw` is a block's map side: unused)."""
    return target_at(text)


NETWORKS = TargetKind("network", claims=is_net_spec, resolve=net_target)
register_target_kind(NETWORKS)

import igcdesign.nets.unit_target  # noqa: E402,F401 (registers unit specs as probe targets too)

__all__ = ["NETWORKS", "is_net_spec", "net_target", "target_at"]
