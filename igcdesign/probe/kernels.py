"""The composed kernel of a chain module: the one dense conv that a linear block equals.

A group conv is a block-diagonal dense kernel; a permutation reorders output channels; two
stride-1 convolutions in a row are one convolution whose kernel is the full convolution of
theirs. Composing them in chain order gives W (cout_last, cin_first, K, K), K = Σk − n + 1:
for IGCV1 W = P·W_d·Pᵀ·W_p, for IGCV2/3 the product of the chain. Its non-zero pattern over
taps is which output channel sees which input channel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from igcdesign.errors import IGCError
from igcdesign.layers import shuffle_index_map
from igcdesign.probe.modules import ChannelPermute, ChannelShuffle


def dense_weight(conv: nn.Conv2d) -> torch.Tensor:
    """The conv's weight as a dense (cout, cin, kh, kw) kernel, zero outside its groups."""
    g = conv.groups
    cout, cin_g, kh, kw = conv.weight.shape
    cin, cout_g = cin_g * g, cout // g
    dense = conv.weight.new_zeros(cout, cin, kh, kw)
    for i in range(g):
        dense[i * cout_g:(i + 1) * cout_g, i * cin_g:(i + 1) * cin_g] = conv.weight[i * cout_g:(i + 1) * cout_g]
    return dense


def then(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """The kernel of `second` applied after `first` (both stride-1 cross-correlations)."""
    k2h, k2w = second.shape[-2:]
    # as images: batch = input channels of `first`, channels = its output channels
    images = first.transpose(0, 1)
    out = F.conv2d(images, second.flip(-2, -1), padding=(k2h - 1, k2w - 1))
    return out.transpose(0, 1).contiguous()


def composed_kernel(module: nn.Module) -> torch.Tensor:
    """W with module(x) == conv2d(x, W, padding=K//2) on the interior (everywhere when at most
    one conv is spatial); module: a chain module without BN/ReLU, odd kernels, stride 1."""
    kernel = None
    for layer in module:
        if isinstance(layer, nn.Conv2d):
            if layer.stride != (1, 1) or layer.kernel_size[0] % 2 == 0:
                raise IGCError("composed kernel: only stride-1 convs with odd kernels")
            w = dense_weight(layer)
            kernel = w if kernel is None else then(kernel, w)
        elif isinstance(layer, ChannelShuffle):
            kernel = kernel[shuffle_index_map(layer.channels, layer.groups)]
        elif isinstance(layer, ChannelPermute):
            kernel = kernel[layer.index]
        else:
            raise IGCError(f"composed kernel: {type(layer).__name__} is not linear in the chain sense")
    if kernel is None:
        raise IGCError("composed kernel: no convolution")
    return kernel


def connection_pattern(module: nn.Module) -> torch.Tensor:
    """(cout, cin) bool: does output channel o depend on input channel i (any tap non-zero)."""
    return composed_kernel(module).abs().sum(dim=(-2, -1)) != 0
