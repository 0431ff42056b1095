"""What each node of a traced graph is, for the segmentation: a conv, an FC layer, a transparent
op (acts on each channel alone), a shape-only op (only moves elements), a metadata query, or
something else — for torch.fx graphs (modules, functions, methods) and torch.export graphs
(aten operators) alike. Names are looked up, never matched by pattern.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

# Ops that only move, select or copy elements: run on a tensor of indices they show where every
# element went. (Ops that duplicate elements, such as expand, are here too: the index run then
# shows a map that is no permutation, and the run stops there.)
SHAPE_OPS = frozenset({
    "view", "_unsafe_view", "reshape", "transpose", "transpose_", "permute", "flatten", "unflatten",
    "contiguous", "clone", "alias", "index_select", "chunk", "split", "split_with_sizes",
    "tensor_split", "cat", "concat", "concatenate", "stack", "narrow", "slice", "select", "getitem",
    "squeeze", "unsqueeze", "t", "swapaxes", "swapdims", "movedim", "moveaxis", "roll", "flip",
    "expand", "expand_as", "view_as", "reshape_as", "channel_shuffle", "native_channel_shuffle",
    "unbind", "gather", "take_along_dim", "detach", "lift_fresh_copy",
    "Flatten", "Unflatten", "ChannelShuffle",  # their modules
})
# Ops that read no element, only the metadata (their results are ints or sizes).
META_OPS = frozenset({"size", "dim", "sym_size", "numel", "shape", "getattr"})
# Ops that act on every channel alone, elementwise or per channel (BN): transparent in a run.
TRANSPARENT_OPS = frozenset({
    "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "elu", "elu_",
    "selu", "celu", "gelu", "silu", "silu_", "mish", "hardswish", "hardswish_", "hardsigmoid",
    "hardsigmoid_", "sigmoid", "sigmoid_", "tanh", "tanh_", "softplus", "prelu", "dropout",
    "dropout_", "dropout2d", "feature_dropout", "alpha_dropout", "batch_norm",
    "_native_batch_norm_legit_no_training", "clamp", "clamp_", "clip", "identity",
    "ReLU", "ReLU6", "Hardtanh", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
    "Hardswish", "Hardsigmoid", "Sigmoid", "Tanh", "Softplus", "PReLU", "Dropout", "Dropout2d",
    "Dropout1d", "AlphaDropout", "FeatureAlphaDropout", "Identity",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm",
})
BN_OPS = frozenset({"batch_norm", "_native_batch_norm_legit_no_training"})


@dataclass
class ConvInfo:
    """A convolution as traced: its shape, its weights and where they live."""

    name: str
    cin: int
    cout: int
    groups: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: Any
    dilation: tuple[int, ...]
    transposed: bool
    weight: str | None  # parameter names
    bias: str | None

    def not_expressible(self) -> str | None:
        """Why the grammar cannot write this conv (None when it can)."""
        if len(self.kernel) != 2:
            return f"a {len(self.kernel)}-d convolution"
        if self.transposed:
            return "a transposed convolution"
        if self.kernel[0] != self.kernel[1]:
            return f"a {self.kernel[0]}×{self.kernel[1]} kernel (not square)"
        if len(set(self.stride)) != 1:
            return f"stride {self.stride} (not the same on both sides)"
        if any(d != 1 for d in self.dilation):
            return f"dilation {self.dilation}"
        return None


def op_name(node: fx.Node, root: nn.Module) -> str:
    """The op's name: a module's class, an aten operator's packet, a function's or method's name."""
    if node.op == "call_module":
        return type(root.get_submodule(node.target)).__name__
    if node.op == "call_method":
        return str(node.target)
    if node.op == "call_function":
        target = node.target
        packet = getattr(target, "_overloadpacket", None)
        if packet is not None:
            return str(getattr(packet, "__name__", packet)).split(".")[-1]
        if target is operator.getitem:
            return "getitem"
        return str(getattr(target, "__name__", target))
    return node.op


def _ints(value: Any, n: int = 2) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _attr_name(arg: Any) -> str | None:
    return arg.target if isinstance(arg, fx.Node) and arg.op == "get_attr" else None


def conv_info(node: fx.Node, root: nn.Module, tensors: dict[str, torch.Tensor]) -> ConvInfo | None:
    """The ConvInfo of a conv node (nn.ConvNd, F.convNd, aten.conv2d / convolution), else None."""
    if node.op == "call_module":
        module = root.get_submodule(node.target)
        if not isinstance(module, nn.modules.conv._ConvNd):
            return None
        transposed = bool(module.transposed)
        w = module.weight.shape
        cin, cout = (w[0], w[1] * module.groups) if transposed else (w[1] * module.groups, w[0])
        return ConvInfo(
            name=node.target, cin=int(cin), cout=int(cout), groups=int(module.groups),
            kernel=tuple(module.kernel_size), stride=tuple(module.stride), padding=module.padding,
            dilation=tuple(module.dilation), transposed=transposed,
            weight=f"{node.target}.weight", bias=f"{node.target}.bias" if module.bias is not None else None,
        )
    name = op_name(node, root)
    args = list(node.args)
    if name in ("conv1d", "conv2d", "conv3d"):
        defaults = [None, None, None, 1, 0, 1, 1]
        args += defaults[len(args):]
        for key, index in (("bias", 2), ("stride", 3), ("padding", 4), ("dilation", 5), ("groups", 6)):
            if key in node.kwargs:
                args[index] = node.kwargs[key]
        x, weight, bias, stride, padding, dilation, groups = args[:7]
        transposed = False
    elif name == "convolution":
        x, weight, bias, stride, padding, dilation, transposed, _out_pad, groups = args[:9]
    else:
        return None
    wname = _attr_name(weight)
    if wname is None or wname not in tensors:
        return None
    w = tensors[wname].shape
    nd = len(w) - 2
    groups = int(groups)
    cin, cout = (w[0], w[1] * groups) if transposed else (w[1] * groups, w[0])
    prefix = wname.rsplit(".", 1)[0] if "." in wname else wname
    return ConvInfo(
        name=prefix, cin=int(cin), cout=int(cout), groups=groups, kernel=tuple(int(s) for s in w[2:]),
        stride=_ints(stride, nd), padding=padding, dilation=_ints(dilation, nd), transposed=bool(transposed),
        weight=wname, bias=_attr_name(bias),
    )


@dataclass
class LinearInfo:
    name: str
    cin: int
    cout: int
    weight: str
    bias: str | None


def linear_info(node: fx.Node, root: nn.Module, tensors: dict[str, torch.Tensor]) -> LinearInfo | None:
    """The LinearInfo of an FC node (nn.Linear, F.linear, aten.linear), else None."""
    if node.op == "call_module":
        module = root.get_submodule(node.target)
        if not isinstance(module, nn.Linear):
            return None
        return LinearInfo(node.target, module.in_features, module.out_features, f"{node.target}.weight",
                          f"{node.target}.bias" if module.bias is not None else None)
    if op_name(node, root) != "linear":
        return None
    args = list(node.args) + [None] * 3
    wname = _attr_name(args[1])
    if wname is None or wname not in tensors:
        return None
    out, cin = tensors[wname].shape
    bias = _attr_name(node.kwargs.get("bias", args[2]))
    prefix = wname.rsplit(".", 1)[0] if "." in wname else wname
    return LinearInfo(prefix, int(cin), int(out), wname, bias)


def used_parameters(node: fx.Node, root: nn.Module, params: dict[str, Any]) -> list[str]:
    """Names of the parameters a node reads: a module's own, or get_attr arguments."""
    if node.op == "call_module":
        prefix = node.target
        return [f"{prefix}.{name}" for name, _ in root.get_submodule(prefix).named_parameters()
                if f"{prefix}.{name}" in params]
    names = []
    for arg in node.all_input_nodes:
        if arg.op == "get_attr" and arg.target in params:
            names.append(arg.target)
    return names
