"""Whole networks as probe targets: a resolver for ``igcdesign.probe.targets.RESOLVERS``.

``net_target(text, hw)`` returns None for text that is not a network spec (so block specs fall
through to the block resolver) and a :class:`~igcdesign.probe.targets.Target` for a network at its
native resolution (32 for the CIFAR networks, 224 for ImageNet, the file's own); the probe's
``hw`` is a block's map side and is not applied to networks. ``net_resolver(resolution)`` gives
a resolver that uses a fixed input side instead. Nothing here imports torch until the target's
factory is called.
"""

from __future__ import annotations

from typing import Callable

from igcdesign.nets.counting import check_options, count_net, walk
from igcdesign.nets.netspec import PRESETS, parse_net


def is_net_spec(text: str) -> bool:
    """True when the text names a network (a preset or a stage file), without validating it."""
    from igcdesign.nets.userfile import looks_like_file

    if not isinstance(text, str) or not text.strip():
        return False
    if looks_like_file(text):
        return True
    name = text.strip().partition(":")[0].strip().lower()
    return name in PRESETS


def target_at(text: str, resolution: int | None):
    """The probe Target of a network spec at `resolution` (None: native)."""
    from igcdesign.probe.targets import Target, map_footprint

    net = parse_net(text)
    classes, side = check_options(net, None, resolution)
    counted = count_net(net, classes=classes, resolution=side, bn=False, fc=True)
    activations, workspace = map_footprint(
        net.in_channels * side * side, ((layer, positions) for _, layer, positions in walk(net.units(), side))
    )
    kernel = max(c.k for u in net.units() for c in u.convs)

    def factory(bn: bool = False, relu: bool = False):
        """The torch network (``relu`` is ignored: a network has its own activations)."""
        from igcdesign.nets.torch_build import build_torch_net

        return build_torch_net(net, classes=classes, resolution=side, bn=bn, fc=True)

    return Target(
        spec=net.name,
        kind="network",
        family=net.family,
        width=int(net.width),
        params_symbolic=counted.params,
        mult_adds=counted.mult_adds,
        mem_access=counted.mem_access,
        input_shape=(net.in_channels, side, side),
        activations=int(activations + classes),
        factory=factory,
        kernel=int(kernel),
        workspace=int(workspace),
    )


def net_target(text: str, hw: int):
    """Resolver: a network spec's Target at its native resolution, None for other specs."""
    if not is_net_spec(text):
        return None
    return target_at(text, None)


def net_resolver(resolution: int | None) -> Callable[[str, int], object]:
    """A resolver that probes networks at a fixed input side (None: native)."""

    def resolve(text: str, hw: int):
        return target_at(text, resolution) if is_net_spec(text) else None

    return resolve


__all__ = ["is_net_spec", "net_resolver", "net_target", "target_at"]
