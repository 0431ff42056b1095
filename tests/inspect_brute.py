"""Brute-force peers for `inspect`, run on the real modules and the model's own forward code:

- paths of a block: every conv weight set to 1, biases 0, BN the identity, activations removed;
  one-hot channel inputs (a batch of C, on a 1×1 map, where every k×k conv with padding sees only
  its centre tap) fed into the block's first conv, read at its last conv's output: p[o, i];
- mult-adds of every conv and FC layer in closed form from the modules' own shapes and the output
  shapes a forward hook sees: (cin/groups)·cout·kh·kw per output position, in·out per FC row.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.Hardtanh, nn.SiLU, nn.Hardswish, nn.Sigmoid, nn.GELU, nn.LeakyReLU, nn.Dropout)


class _Stop(Exception):
    pass


def linearised(model: nn.Module) -> nn.Module:
    """A float64 copy with conv weights 1, biases 0, BN the identity and activations removed."""
    model = copy.deepcopy(model).double().eval()
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.ones_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            module.reset_parameters()  # γ = 1, β = 0, mean 0, var 1
            module.eps = 0.0
        for name, child in list(module.named_children()):
            if isinstance(child, ACTIVATIONS):
                setattr(module, name, nn.Identity())
    return model


def block_paths(model: nn.Module, first: str, last: str, cin: int, input_shape) -> torch.Tensor:
    """p[o, i]: paths from input channel i of conv `first` to output channel o of conv `last`
    (`model` as :func:`linearised` made it)."""
    modules = dict(model.named_modules())
    captured = {}

    def feed(module, args):
        return (torch.eye(cin, dtype=torch.float64).view(cin, cin, 1, 1),)

    def take(module, args, output):
        captured["out"] = output
        raise _Stop

    handles = [modules[first].register_forward_pre_hook(feed), modules[last].register_forward_hook(take)]
    try:
        with torch.no_grad():
            model(torch.zeros(input_shape, dtype=torch.float64))
    except _Stop:
        pass
    finally:
        for handle in handles:
            handle.remove()
    out = captured["out"]
    return out[:, :, out.shape[2] // 2, out.shape[3] // 2].T.round().long()


def verdict(paths: torch.Tensor) -> str:
    """docs/conventions.md: strict (all 1), relaxed (all equal, ≥ 2), redundant (all ≥ 1), sparse."""
    low, high = int(paths.min()), int(paths.max())
    if low == 0:
        return "sparse"
    if low == high:
        return "strict" if low == 1 else "relaxed"
    return "redundant"


def closed_form_mult_adds(model: nn.Module, input_shape) -> int:
    """Σ over convs of (cin/groups)·cout·kh·kw·H_out·W_out, plus in·out per row of every FC layer."""
    total = 0
    handles = []

    def conv_hook(module, args, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += (module.in_channels // module.groups) * module.out_channels * kh * kw * output.shape[2] * output.shape[3]

    def fc_hook(module, args, output):
        nonlocal total
        total += module.in_features * module.out_features * (output.numel() // output.shape[0] // module.out_features)

    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(fc_hook))
    with torch.no_grad():
        model(torch.zeros(input_shape))
    for handle in handles:
        handle.remove()
    return total


def bn_params(model: nn.Module) -> int:
    return sum(p.numel() for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
               for p in m.parameters(recurse=False))
