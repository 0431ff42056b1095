"""nn.Modules built from a chain: the block that `count` and `check` read, as real layers.

One ``nn.Conv2d(bias=False, groups=g)`` per :class:`~igcdesign.layers.GroupConv`, one
permutation module per :class:`~igcdesign.layers.Permute`, in chain order; optionally BN and
ReLU after the whole block (the papers' "IGC + BN + ReLU"). Nothing is added in between, so
without BN/ReLU the module is the linear map the chain describes.

Channel shuffles are view/transpose/reshape (traceable, exportable, fine on CUDA); explicit
permutations are an ``index_select`` with the index kept as a buffer.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute, conv_padding  # conv_padding: the counting's padding, re-exported


class ChannelShuffle(nn.Module):
    """Channel shuffle with g groups: view (g, C/g), transpose, flatten.

    Output channel a·g + b is input channel b·(C/g) + a, i.e. ``Permute(C, g).index_map()``.
    A channels-last input stays channels-last (the shuffle is done on the NHWC view).
    """

    def __init__(self, channels: int, groups: int):
        super().__init__()
        if channels % groups:
            raise IGCError(f"shuffle: {groups} groups do not divide {channels} channels")
        self.channels = channels
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = self.groups
        if not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
            y = x.permute(0, 2, 3, 1).reshape(n, h, w, g, c // g).transpose(3, 4).reshape(n, h, w, c)
            return y.permute(0, 3, 1, 2)
        return x.reshape(n, g, c // g, h, w).transpose(1, 2).reshape(n, c, h, w)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, groups={self.groups}"


class ChannelPermute(nn.Module):
    """An explicit channel permutation: output channel j is input channel index[j]."""

    def __init__(self, index: Sequence[int]):
        super().__init__()
        index = [int(i) for i in index]
        if sorted(index) != list(range(len(index))):
            raise IGCError(f"not a permutation of {len(index)} channels")
        self.register_buffer("index", torch.tensor(index, dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.index_select(1, self.index)

    def extra_repr(self) -> str:
        return f"channels={self.index.numel()}"


class ChainModule(nn.Sequential):
    """A chain as an ``nn.Sequential``: convs and permutations in order, then optional BN/ReLU.

    ``module.chain`` keeps the chain it was built from; ``module.convs`` lists its Conv2d layers.
    Works with ``torch.jit.script``, ``torch.jit.trace`` and ``torch.export`` (the scripted
    module keeps the layers; ``convs`` and ``chain`` are Python-side only).
    """

    __jit_unused_properties__ = ["convs"]
    __jit_ignored_attributes__ = ["chain"]

    def __init__(self, chain: Sequence[Any], *, bn: bool = False, relu: bool = False):
        layers = [_layer(layer) for layer in chain]
        if not layers:
            raise IGCError("empty chain: nothing to build")
        if bn:
            layers.append(nn.BatchNorm2d(_out_channels(chain)))
        if relu:
            layers.append(nn.ReLU())
        super().__init__(*layers)
        self.chain = tuple(chain)

    @property
    def convs(self) -> list[nn.Conv2d]:
        return [m for m in self if isinstance(m, nn.Conv2d)]


def _concrete(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            as_int = int(value)
        except (TypeError, ValueError):
            raise IGCError(f"{what}: needs a concrete integer to build a module, got {value!r}") from None
        if as_int != value:
            raise IGCError(f"{what}: needs a concrete integer to build a module, got {value!r}")
        return as_int
    return value


def _layer(layer: Any) -> nn.Module:
    if isinstance(layer, GroupConv):
        cin, cout = _concrete(layer.cin, "cin"), _concrete(layer.cout, "cout")
        groups, k = _concrete(layer.groups, "groups"), _concrete(layer.k, "k")
        stride = _concrete(layer.stride, "stride")
        if cin % groups or cout % groups:
            raise IGCError(f"{layer.name}: {groups} groups do not divide {cin} → {cout} channels")
        return nn.Conv2d(cin, cout, k, stride=stride, padding=conv_padding(k, stride), groups=groups, bias=False)
    if isinstance(layer, Permute):
        width = _concrete(layer.width, "width")
        if layer.perm is not None:
            return ChannelPermute(layer.perm)
        return ChannelShuffle(width, _concrete(layer.groups, "groups"))
    raise IGCError(f"cannot build a module for layer {layer!r}")


def _out_channels(chain: Sequence[Any]) -> int:
    for layer in reversed(chain):
        if isinstance(layer, GroupConv):
            return _concrete(layer.cout, "cout")
    raise IGCError("chain has no convolution")


def chain_module(chain: Sequence[Any], *, bn: bool = False, relu: bool = False) -> ChainModule:
    """The nn.Module of a concrete chain (ints), with optional BN and ReLU after the block."""
    return ChainModule(chain, bn=bn, relu=relu)


def block_module(spec_or_block: Any, *, bn: bool = False, relu: bool = False) -> ChainModule:
    """The nn.Module of a block spec string (any family) or a parsed :class:`~igcdesign.families.Block`."""
    if isinstance(spec_or_block, str):
        from igcdesign.families import parse_block

        spec_or_block = parse_block(spec_or_block)
    chain = getattr(spec_or_block, "chain", spec_or_block)
    return chain_module(chain, bn=bn, relu=relu)
