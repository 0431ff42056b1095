"""What the probe measures: a spec string turned into a :class:`Target`.

A target is everything the probe needs before touching torch: a factory for the module, the
counted parameters, the multiply-adds of one sample, and the shape of one input. Block specs
(any family, any ``chain:``) resolve here; other kinds of spec plug in with
:func:`register_target_kind` (whole networks do, in :mod:`igcdesign.nets.probe_hook`): a kind
says which texts are its own (``claims``, without validating them) and resolves them. The first
kind that claims a text resolves it, and its errors are the answer: nothing is guessed again.

This module does not import torch: the factory imports it when called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from igcdesign.errors import IGCError, shown


@dataclass(frozen=True)
class Target:
    """One thing to build and time.

    ``params`` (conv weights, as ``count`` reports them) and ``mult_adds`` (per sample,
    multiply-accumulates) come from the chain
    counting in :mod:`igcdesign.layers`; ``input_shape`` is (C, H, W) of one sample;
    ``activations`` is the number of elements of every map the module produces for one sample
    (input included) and ``workspace`` a bound on the elements of a conv's scratch buffer (an
    unfolded k×k input), both used for the memory estimate; ``factory(bn, relu, impl)`` builds
    the module ('plain' or 'fast', :mod:`igcdesign.probe.fast`); ``floor_layers`` is every
    (layer, output positions, input positions per sample) triple, what :mod:`igcdesign.floor` sums.
    """

    spec: str
    kind: str
    family: str
    width: int
    params: int
    mult_adds: int
    mem_access: int
    input_shape: tuple[int, int, int]
    activations: int
    factory: Callable[..., Any] = field(repr=False, compare=False)
    kernel: int = 3
    workspace: int = 0
    floor_layers: tuple = ()


@dataclass(frozen=True)
class TargetKind:
    """A kind of spec the probe can build: `claims(text)` says whether the text is of this kind
    (no validation); `resolve(text, hw)` gives its Target or raises IGCError."""

    name: str
    claims: Callable[[str], bool]
    resolve: Callable[[str, int], Target]


def map_footprint(input_elements: int, layers) -> tuple[int, int]:
    """(elements of every map produced, the largest k×k conv's unfolded input) for one sample.

    `layers` yields (layer, output positions[, input positions]); the second figure is the scratch buffer of an
    im2col convolution, cin·k²·positions, for the worst conv with k > 1.
    """
    from igcdesign.layers import GroupConv

    activations, workspace = input_elements, 0
    for layer, positions, *_ in layers:
        activations += layer.width_out() * positions
        if isinstance(layer, GroupConv) and layer.k > 1:
            workspace = max(workspace, layer.cin * layer.k**2 * positions)
    return activations, workspace


def block_target(text: str, hw: int) -> Target:
    """A block spec (family:key=value,...) on an hw×hw map; SpecError if it is malformed."""
    from igcdesign.counting import block_sides, count_block
    from igcdesign.layers import GroupConv, convs
    from igcdesign.families import parse_block

    block = parse_block(text)
    counted = count_block(block, hw)
    layer_convs = convs(block.chain)
    positioned = tuple((layer, out * out, side * side) for layer, side, out in block_sides(block, hw))
    activations, workspace = map_footprint(layer_convs[0].cin * hw * hw, positioned)
    chain = block.chain

    def factory(bn: bool = False, relu: bool = False, impl: str = "plain"):
        from igcdesign.probe.fast import build

        return build(chain, impl, bn=bn, relu=relu)

    return Target(
        spec=block.spec,
        kind="block",
        family=block.family,
        width=int(block.width),
        params=int(counted.params),
        mult_adds=int(counted.mult_adds),
        mem_access=int(counted.mem_access),
        input_shape=(int(layer_convs[0].cin), hw, hw),
        activations=int(activations),
        factory=factory,
        kernel=max(int(c.k) for c in layer_convs if isinstance(c, GroupConv)),
        workspace=int(workspace),
        floor_layers=positioned,
    )


BLOCKS = TargetKind("block", claims=lambda text: True, resolve=block_target)
TARGET_KINDS: list[TargetKind] = [BLOCKS]


def register_target_kind(kind: TargetKind) -> None:
    """Let the probe build `kind`: it is asked before the block kind (which claims every text);
    registering a kind of the same name again replaces it."""
    TARGET_KINDS[:] = [k for k in TARGET_KINDS if k.name != kind.name]
    TARGET_KINDS.insert(len(TARGET_KINDS) - 1, kind)


def resolve_target(text: str, hw: int) -> Target:
    """The target a spec string names, resolved by the first kind that claims it."""
    for kind in TARGET_KINDS:
        if kind.claims(text):
            return kind.resolve(text, hw)
    raise IGCError(f"cannot probe '{str(text)[:100]}': not a block spec")  # pragma: no cover - blocks claim all


def regular_baseline_spec(budget: int, k: int) -> str:
    """The widest regular k×k conv whose params do not exceed `budget` (C = 1 if none fits).

    The search is igcdesign.search.widest_regular (the same one `widest` reports).
    """
    from igcdesign.families import get_family
    from igcdesign.search import widest_regular

    result = widest_regular(budget, k)
    return result.spec if result.spec else get_family("regular").spec({"C": 1, "k": k})
