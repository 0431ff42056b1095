"""What the probe measures: a spec string turned into a :class:`Target`.

A target is everything the probe needs before touching torch: a factory for the module, the
symbolic parameter count, the multiply-adds of one sample, and the shape of one input. Block
specs (any family, any ``chain:``) resolve here; other kinds of spec (whole networks) plug in
by adding a resolver to :data:`RESOLVERS` — a function ``(text, hw) -> Target | None`` that
returns None for specs it does not recognise.

This module does not import torch: the factory imports it when called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from igcdesign.errors import IGCError


@dataclass(frozen=True)
class Target:
    """One thing to build and time.

    ``params_symbolic`` and ``mult_adds`` (per sample, multiply-accumulates) come from the chain
    counting in :mod:`igcdesign.layers`; ``input_shape`` is (C, H, W) of one sample;
    ``activations`` is the number of elements of every map the module produces for one sample
    (input included) and ``workspace`` a bound on the elements of a conv's scratch buffer (an
    unfolded k×k input), both used for the memory estimate; ``factory(bn, relu)`` builds the module.
    """

    spec: str
    kind: str
    family: str
    width: int
    params_symbolic: int
    mult_adds: int
    mem_access: int
    input_shape: tuple[int, int, int]
    activations: int
    factory: Callable[..., Any] = field(repr=False, compare=False)
    kernel: int = 3
    workspace: int = 0


Resolver = Callable[[str, int], "Target | None"]


def map_footprint(input_elements: int, layers) -> tuple[int, int]:
    """(elements of every map produced, the largest k×k conv's unfolded input) for one sample.

    `layers` yields (layer, output positions); the second figure is the scratch buffer of an
    im2col convolution, cin·k²·positions, for the worst conv with k > 1.
    """
    from igcdesign.layers import GroupConv

    activations, workspace = input_elements, 0
    for layer, positions in layers:
        activations += layer.width_out() * positions
        if isinstance(layer, GroupConv) and layer.k > 1:
            workspace = max(workspace, layer.cin * layer.k**2 * positions)
    return activations, workspace


def block_target(text: str, hw: int) -> Target | None:
    """A block spec (family:key=value,...) on an hw×hw map; SpecError if it is malformed."""
    from igcdesign.counting import count_block
    from igcdesign.layers import GroupConv, convs
    from igcdesign.families import parse_block

    block = parse_block(text)
    counted = count_block(block, hw)
    layer_convs = convs(block.chain)
    positions = hw * hw
    activations, workspace = map_footprint(
        layer_convs[0].cin * positions, ((layer, positions) for layer in block.chain)
    )
    chain = block.chain

    def factory(bn: bool = False, relu: bool = False):
        from igcdesign.probe.modules import chain_module

        return chain_module(chain, bn=bn, relu=relu)

    return Target(
        spec=block.spec,
        kind="block",
        family=block.family,
        width=int(block.width),
        params_symbolic=int(counted.params),
        mult_adds=int(counted.mult_adds),
        mem_access=int(counted.mem_access),
        input_shape=(int(layer_convs[0].cin), hw, hw),
        activations=int(activations),
        factory=factory,
        kernel=max(int(c.k) for c in layer_convs if isinstance(c, GroupConv)),
        workspace=int(workspace),
    )


def _net_target(text: str, hw: int) -> Target | None:
    """Whole networks (igcv1-cifar:..., mobilenetv2, a stage file), at their native resolution."""
    from igcdesign.families import FAMILIES
    from igcdesign.nets import net_target

    try:
        return net_target(text, hw)
    except IGCError:
        # 'mobilenetv2' names both a network and a block family: what the network refuses,
        # the block resolver may accept ('mobilenetv2:C=24,t=6' is a bottleneck block).
        if text.strip().partition(":")[0].strip().lower() in FAMILIES:
            return None
        raise


RESOLVERS: list[Resolver] = [_net_target, block_target]


def resolve_target(text: str, hw: int) -> Target:
    """The target a spec string names: the first resolver that recognises it wins.

    Resolvers added in front of :func:`block_target` (e.g. network specs) see the text first.
    """
    for resolver in RESOLVERS:
        target = resolver(text, hw)
        if target is not None:
            return target
    raise IGCError(f"cannot probe '{text}': not a block or network spec")


def regular_baseline_spec(budget: int, k: int) -> str:
    """The widest regular k×k conv whose params do not exceed `budget` (C = 1 if none fits).

    The search is igcdesign.search.widest_regular (the same one `widest` reports).
    """
    from igcdesign.families import get_family
    from igcdesign.search import widest_regular

    result = widest_regular(budget, k)
    return result.spec if result.spec else get_family("regular").spec({"C": 1, "k": k})
