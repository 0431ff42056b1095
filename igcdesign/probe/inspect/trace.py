"""Trace a model into a graph whose every node knows its result's shape (or value, for sizes).

torch.fx's ``symbolic_trace`` first; where it fails, ``torch.export`` (which follows Python control
flow on shapes by running it). Shapes are propagated node by node, as fx's ShapeProp does, on fake
tensors (no arithmetic, so a 224×224 ResNeXt costs milliseconds), falling back to real tensors
where an op has no fake kernel. Non-tensor results (``x.size()``, ``c // g``) are kept as values:
the permutation runs of :mod:`.segment` need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

from igcdesign.errors import IGCError
from igcdesign.probe.inspect.source import user_code

SHAPE = "igc_shape"  # node.meta key: the result's shape (a tensor result)
VALUE = "igc_value"  # node.meta key: the result with tensors replaced by their shapes (any result)


@dataclass
class Traced:
    """A traced model: `gm` (its graph module), `tracer` ('torch.fx' or 'torch.export'), `note`
    (why fx could not trace it, when export did), `propagation` ('fake' or 'real')."""

    gm: fx.GraphModule
    tracer: str
    note: str | None
    propagation: str


class TensorShape(tuple):
    """A tensor's shape where a traced value held the tensor."""


def _described(value: Any) -> Any:
    """A node's result as kept in its meta: tensors as their TensorShape, sizes as tuples of
    ints, containers element by element, anything else as it is."""
    if isinstance(value, torch.Tensor):
        return TensorShape(int(s) for s in value.shape)
    if isinstance(value, torch.Size):
        return tuple(int(s) for s in value)
    if isinstance(value, (list, tuple)):
        return type(value)(_described(v) for v in value)
    return value


def _keeps_shape(n: fx.Node, root: nn.Module) -> bool:
    """A transparent op (BN, activation, dropout) that returns one tensor of its input's shape:
    propagation passes its input on instead of running it (fake BN alone costs ~80 ms)."""
    from igcdesign.probe.inspect.ops import TRANSPARENT_OPS, op_name

    if n.op not in ("call_module", "call_function", "call_method"):
        return False
    name = op_name(n, root)
    return name in TRANSPARENT_OPS and name != "_native_batch_norm_legit_no_training"


class _Recorder(fx.Interpreter):
    def run_node(self, n: fx.Node) -> Any:
        if _keeps_shape(n, self.module) and n.args and isinstance(n.args[0], fx.Node):
            first = self.env[n.args[0]]
            if isinstance(first, torch.Tensor):
                n.meta[VALUE] = _described(first)
                n.meta[SHAPE] = tuple(int(s) for s in first.shape)
                return first
        result = super().run_node(n)
        n.meta[VALUE] = _described(result)
        if isinstance(result, torch.Tensor):
            n.meta[SHAPE] = tuple(int(s) for s in result.shape)
        return result


def _propagate(gm: fx.GraphModule, shape: tuple[int, ...]) -> str:
    from torch._subclasses.fake_tensor import FakeTensorMode

    x = torch.zeros(shape)
    try:
        with user_code("shape propagation", quiet=True), torch.no_grad():
            with FakeTensorMode(allow_non_fake_inputs=True) as mode:
                _Recorder(gm).run(mode.from_tensor(x))
        return "fake"
    except IGCError:
        pass
    for node in gm.graph.nodes:
        node.meta.pop(VALUE, None)
        node.meta.pop(SHAPE, None)
    with user_code(f"running the model on a {'x'.join(map(str, shape))} input"), torch.no_grad():
        _Recorder(gm).run(x)
    return "real"


class _Tracer(fx.Tracer):
    """fx's tracer, with igcdesign's own channel shuffle kept whole (a shape-only leaf: its
    channels-last branch is Python control flow that fx cannot trace into)."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        from igcdesign.probe.modules import ChannelShuffle

        return isinstance(m, ChannelShuffle) or super().is_leaf_module(m, qualname)


def symbolic_trace(model: nn.Module) -> fx.GraphModule:
    """torch.fx.symbolic_trace with :class:`_Tracer`."""
    tracer = _Tracer()
    graph = tracer.trace(model)
    name = model.__class__.__name__ if isinstance(model, nn.Module) else model.__name__
    return fx.GraphModule(tracer.root, graph, name)


def trace(model: nn.Module, shape: tuple[int, ...], program: Any = None) -> Traced:
    """The traced graph of `model` on an input of `shape` (`program`: the ExportedProgram it was
    loaded from, traced as it is); IGCError when neither fx nor export can follow it."""
    note = None
    if program is None:
        try:
            with user_code("torch.fx", quiet=True):
                gm = symbolic_trace(model)
            return Traced(gm, "torch.fx", None, _propagate(gm, shape))
        except IGCError as e:
            note = str(e)
        try:
            with user_code("torch.export", quiet=True):
                program = torch.export.export(model, (torch.zeros(shape),), strict=False)
        except IGCError as e:
            raise IGCError(f"cannot trace the model: {note}; {e}") from None
    with user_code("torch.export module"):
        gm = program.module()
    if not isinstance(gm, fx.GraphModule):
        raise IGCError(f"cannot trace the model: torch.export gave a {type(gm).__name__}, not a graph")
    return Traced(gm, "torch.export", note, _propagate(gm, shape))

