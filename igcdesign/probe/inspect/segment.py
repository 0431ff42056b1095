"""Cut a traced graph into blocks: maximal linear runs of convs and channel permutations.

A run starts at a conv and follows the one value it produces: through transparent ops (BN,
activations, dropout), into the next conv that reads it, or through the shape-only ops hanging
off it where they amount to a channel permutation (found by running them on a tensor of element
indices, :func:`permutation_after`). It ends where the value is used twice (a branch), where
the next op reads other data too (a merge), or at any other op. Shape-only ops that permute the
output of something other than a conv (a concat, the input) form a lone permutation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from igcdesign.layers import GroupConv, Permute, shuffle_index_map
from igcdesign.probe.inspect.ops import (
    BN_OPS, META_OPS, SHAPE_OPS, TRANSPARENT_OPS, ConvInfo, LinearInfo, conv_info, linear_info, op_name,
    used_parameters,
)
from igcdesign.probe.inspect.trace import SHAPE, VALUE, TensorShape

MAX_INDEX_ELEMENTS = 1 << 27  # elements of one index run (int64: 1 GiB)


@dataclass
class Run:
    """A block: its chain layers with the maps they were traced at, the convs' records, and the
    parameters read besides the conv weights (conv biases; BN and other transparent ops)."""

    layers: list = field(default_factory=list)
    maps: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)  # (in, out) spatial
    convs: list[ConvInfo] = field(default_factory=list)
    biases: list[str] = field(default_factory=list)
    transparent_params: list[str] = field(default_factory=list)
    first: int = 0  # graph position, for ordering


@dataclass
class LonePermutation:
    layer: Permute
    map: tuple[int, ...]
    after: str  # the node whose output it permutes
    first: int = 0


@dataclass
class FC:
    info: LinearInfo
    rows: int  # positions per sample (1 for a flattened vector)
    first: int = 0


@dataclass
class OtherConv:
    """A conv the grammar cannot write (dilated, non-square, 1-d/3-d, transposed): counted in
    closed form, listed apart."""

    info: ConvInfo
    map_in: tuple[int, ...]
    map_out: tuple[int, ...]
    reason: str
    first: int = 0


@dataclass
class Segmentation:
    items: list = field(default_factory=list)  # Run | LonePermutation | FC | OtherConv, in graph order
    not_costed: Counter = field(default_factory=Counter)  # op name → nodes outside every item
    not_followed: list[dict[str, Any]] = field(default_factory=list)  # parameters read by other ops
    param_users: dict[str, str] = field(default_factory=dict)  # parameter → the item kind that counts it
    bn_params: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)  # shape-only runs that could not be evaluated


def _has_tensor(value: Any) -> bool:
    if isinstance(value, TensorShape):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_tensor(v) for v in value)
    return False


class Segmenter:
    def __init__(self, gm: fx.GraphModule):
        self.gm = gm
        self.nodes = list(gm.graph.nodes)
        self.order = {n: i for i, n in enumerate(self.nodes)}
        self.params = dict(gm.named_parameters(remove_duplicate=False))
        self.tensors = {**dict(gm.named_buffers(remove_duplicate=False)), **self.params}
        self.kind: dict[fx.Node, str] = {}
        self.conv: dict[fx.Node, ConvInfo] = {}
        self.linear: dict[fx.Node, LinearInfo] = {}
        self.names: dict[fx.Node, str] = {}
        for n in self.nodes:
            self.kind[n] = self._classify(n)
        self.used: set[fx.Node] = set()
        self.result = Segmentation()
        self.interp = fx.Interpreter(gm)  # built once: its constructor walks the whole graph

    # --- what a node is ------------------------------------------------------------
    def _classify(self, n: fx.Node) -> str:
        if n.op in ("placeholder", "output", "get_attr"):
            return n.op
        name = self.names[n] = op_name(n, self.gm)
        info = conv_info(n, self.gm, self.tensors)
        if info is not None:
            self.conv[n] = info
            return "conv" if info.not_expressible() is None and len(self.shape(n) or ()) == 4 else "xconv"
        lin = linear_info(n, self.gm, self.tensors)
        if lin is not None:
            self.linear[n] = lin
            return "linear"
        if name in META_OPS:
            return "meta"
        if VALUE in n.meta and not _has_tensor(n.meta[VALUE]):
            return "value"  # arithmetic on sizes
        if name in SHAPE_OPS:
            return "shape"
        if name in TRANSPARENT_OPS and len(self.data_inputs(n)) == 1:
            return "transparent"
        return "other"

    def shape(self, n: fx.Node) -> tuple[int, ...] | None:
        return n.meta.get(SHAPE)

    def is_tensor(self, n: fx.Node) -> bool:
        return n.op != "get_attr" and _has_tensor(n.meta.get(VALUE))

    def data_inputs(self, n: fx.Node) -> list[fx.Node]:
        return [a for a in n.all_input_nodes if self.is_tensor(a)]

    def data_users(self, n: fx.Node) -> list[fx.Node]:
        return [u for u in n.users if self.kind.get(u) not in ("meta", "value")]

    # --- runs ------------------------------------------------------------------------
    def segment(self) -> Segmentation:
        for n in self.nodes:
            if n in self.used:
                continue
            kind = self.kind[n]
            if kind == "conv":
                self._run_from(n)
            elif kind == "xconv":
                self.used.add(n)
                info = self.conv[n]
                self.result.items.append(OtherConv(info, self._spatial(n.all_input_nodes[0]), self._spatial(n),
                                                   info.not_expressible() or "", self.order[n]))
            elif kind == "linear":
                self.used.add(n)
                info = self.linear[n]
                shape = self.shape(n.all_input_nodes[0]) or (1, info.cin)
                rows = max(1, _prod(shape) // max(1, shape[0] * info.cin))
                self.result.items.append(FC(info, rows, self.order[n]))
            elif self.is_tensor(n) and kind in ("placeholder", "other", "transparent", "shape"):
                self._lone_permutation(n)
        self._account()
        return self.result

    def _spatial(self, n: fx.Node) -> tuple[int, ...]:
        return tuple((self.shape(n) or (0, 0))[2:])

    def _conv_layer(self, n: fx.Node) -> GroupConv:
        info = self.conv[n]
        return GroupConv(info.cin, info.cout, info.groups, info.kernel[0], stride=info.stride[0], name=info.name)

    def _run_from(self, start: fx.Node) -> None:
        run = Run(first=self.order[start])
        self._add_conv(run, start)
        cur = start
        while True:
            users = self.data_users(cur)
            if len(users) == 1 and self.kind[users[0]] == "transparent" and self.data_inputs(users[0]) == [cur]:
                user = users[0]
                self.used.add(user)
                run.transparent_params += used_parameters(user, self.gm, self.params)
                if self.names[user] in BN_OPS or isinstance(self._module(user), nn.modules.batchnorm._BatchNorm):
                    self.result.bn_params.update(used_parameters(user, self.gm, self.params))
                cur = self._tuple_head(user)
                if cur is None:
                    break
                continue
            if (len(users) == 1 and self.kind[users[0]] == "conv" and users[0] not in self.used
                    and self.data_inputs(users[0]) == [cur]):
                self._add_conv(run, users[0])
                cur = users[0]
                continue
            if users and all(self.kind[u] == "shape" for u in users):
                found = self.permutation_after(cur)
                if found is not None:
                    exit_node, layer = found
                    if layer is not None:
                        run.layers.append(layer)
                        spatial = self._spatial(cur)
                        run.maps.append((spatial, spatial))
                    cur = exit_node
                    continue
            break
        self.result.items.append(run)

    def _module(self, n: fx.Node):
        return self.gm.get_submodule(n.target) if n.op == "call_module" else None

    def _tuple_head(self, n: fx.Node) -> fx.Node | None:
        """The node holding a transparent op's tensor: itself, or element 0 of the tuple it returns
        (aten's batch norm returns (out, mean, rstd)); None when that cannot be followed."""
        if self.shape(n) is not None:
            return n
        heads = [u for u in n.users if self.names.get(u) == "getitem" and u.args[1:] == (0,)]
        if len(heads) == 1 and all(u in heads or not self.data_users(u) for u in n.users):
            self.used.add(heads[0])
            return heads[0]
        return None

    def _add_conv(self, run: Run, n: fx.Node) -> None:
        self.used.add(n)
        info = self.conv[n]
        run.layers.append(self._conv_layer(n))
        run.maps.append((self._spatial(n.all_input_nodes[0]), self._spatial(n)))
        run.convs.append(info)
        if info.bias:
            run.biases.append(info.bias)

    # --- permutations -----------------------------------------------------------------
    def _region(self, source: fx.Node) -> list[fx.Node]:
        """The shape-only, metadata and size-arithmetic nodes that read only `source`'s data."""
        inside = {source}
        queue = [source]
        while queue:
            x = queue.pop()
            for u in x.users:
                if u in inside or u in self.used or self.kind[u] not in ("shape", "meta", "value"):
                    continue
                if all(a in inside or not self.is_tensor(a) for a in u.all_input_nodes):
                    inside.add(u)
                    queue.append(u)
        inside.discard(source)
        return sorted(inside, key=self.order.__getitem__)

    def _constants(self, nodes: list[fx.Node], inside: set[fx.Node], interp: fx.Interpreter) -> bool:
        """Put every input the nodes read from outside into the interpreter (sizes as traced,
        attributes fetched); False when one of them is a tensor that is not an attribute."""
        for n in nodes:
            for a in n.all_input_nodes:
                if a in inside or a in interp.env:
                    continue
                if a.op == "get_attr":
                    interp.env[a] = interp.fetch_attr(a.target)
                elif VALUE in a.meta and not _has_tensor(a.meta[VALUE]):
                    interp.env[a] = a.meta[VALUE]
                else:
                    return False
        return True

    def permutation_after(self, source: fx.Node) -> tuple[fx.Node, Permute | None] | None:
        """(the last node of the shape-only ops after `source` that is a channel permutation of
        its value and that nothing else taps before, the Permute — None for the identity), or
        None when there is no such node."""
        shape = self.shape(source)
        if shape is None or len(shape) < 2 or _prod(shape) > MAX_INDEX_ELEMENTS or _prod(shape) == 0:
            return None
        region = self._region(source)
        if not region:
            return None
        interp = self.interp
        interp.env = {}
        inside = set(region) | {source}
        if not self._constants(region, inside, interp):
            return None
        index = torch.arange(_prod(shape), dtype=torch.int32 if _prod(shape) < 1 << 31 else torch.int64).view(shape)
        interp.env[source] = index
        values: dict[fx.Node, Any] = {}
        try:
            with torch.no_grad():
                for n in region:
                    values[n] = interp.env[n] = interp.run_node(n)
        except Exception as e:  # noqa: BLE001 - an op that will not run on indices: not followed
            self.result.problems.append(f"shape-only ops after {source.name} did not run on channel indices ({type(e).__name__})")
            return None
        best = None
        for n in reversed(region):  # the last cut that is a permutation: checked from the end
            value = values[n]
            if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape or not self._is_cut(n, source, inside):
                continue
            perm = _channel_permutation(index, value)
            if perm is not None:
                best = (n, perm)
                break
        if best is None:
            return None
        exit_node, perm = best
        for n in self._ancestors(exit_node, source, inside):
            self.used.add(n)
        width = shape[1]
        if perm == tuple(range(width)):
            return exit_node, None
        return exit_node, _as_layer(width, perm)

    def _ancestors(self, n: fx.Node, source: fx.Node, inside: set[fx.Node]) -> set[fx.Node]:
        seen = {n}
        stack = [n]
        while stack:
            x = stack.pop()
            for a in x.all_input_nodes:
                if a in inside and a is not source and a not in seen:
                    seen.add(a)
                    stack.append(a)
        return seen

    def _is_cut(self, n: fx.Node, source: fx.Node, inside: set[fx.Node]) -> bool:
        """Nothing reads the data of `source` or of the ops before `n` except those ops."""
        before = self._ancestors(n, source, inside) | {source}
        for x in before:
            if x is n or not self.is_tensor(x):
                continue
            if any(u not in before and self.kind[u] not in ("meta", "value") for u in x.users):
                return False
        return True

    def _lone_permutation(self, n: fx.Node) -> None:
        users = self.data_users(n)
        if not users or not all(self.kind[u] == "shape" and u not in self.used for u in users):
            return
        found = self.permutation_after(n)
        if found is None or found[1] is None:
            return
        spatial = self._spatial(n)
        self.result.items.append(LonePermutation(found[1], spatial, n.name, self.order[n] + 1))

    # --- what is left -----------------------------------------------------------------
    def _account(self) -> None:
        """Which item counts each parameter; every other op that reads parameters, and every op
        outside the items that moves or computes data, is listed."""
        result = self.result
        for item in result.items:
            if isinstance(item, Run):
                for c in item.convs:
                    result.param_users.setdefault(c.weight, "block")
                for name in item.biases:
                    result.param_users.setdefault(name, "bias")
                for name in item.transparent_params:
                    result.param_users.setdefault(name, "bn" if name in result.bn_params else "transparent")
            elif isinstance(item, FC):
                for name in (item.info.weight, item.info.bias):
                    if name:
                        result.param_users.setdefault(name, "fc")
            elif isinstance(item, OtherConv):
                for name in (item.info.weight, item.info.bias):
                    if name:
                        result.param_users.setdefault(name, "other_conv")
        for n in self.nodes:
            if n in self.used:
                continue
            kind = self.kind[n]
            names = used_parameters(n, self.gm, self.params) if kind not in ("placeholder", "output", "get_attr") else []
            is_bn = self.names.get(n) in BN_OPS or isinstance(self._module(n), nn.modules.batchnorm._BatchNorm)
            if is_bn:
                result.bn_params.update(names)
                for name in names:
                    result.param_users.setdefault(name, "bn")
            elif names and kind != "transparent":
                fresh = [name for name in names if name not in result.param_users]
                for name in fresh:
                    result.param_users[name] = "not_followed"
                if fresh:
                    result.not_followed.append({
                        "what": f"{self.names[n]} {n.target if n.op == 'call_module' else n.name}",
                        "params": sum(self.params[name].numel() for name in fresh),
                    })
            elif names:
                for name in names:
                    result.param_users.setdefault(name, "transparent")
            if kind in ("other", "shape", "transparent") and n not in self.used:
                if kind != "transparent":
                    result.not_costed[self.names[n]] += 1


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def _channel_permutation(index: torch.Tensor, value: torch.Tensor) -> tuple[int, ...] | None:
    """perm when `value` is `index` with whole channels (dim 1) moved — output channel j holds
    input channel perm[j] at every batch and spatial position — else None."""
    if value.dtype != index.dtype:
        return None
    n, c = index.shape[0], index.shape[1]
    per = index[0].numel() // c if c else 0
    if per == 0:
        return None
    first = value.reshape(n, c, -1)[0, :, 0]
    perm = (first // per) % c
    if not torch.equal(torch.sort(perm).values, torch.arange(c, dtype=perm.dtype)):
        return None
    # value[b, j, s] must be index[b, perm[j], s] = (b·c + perm[j])·per + s everywhere
    expected = (torch.arange(n, dtype=index.dtype).view(n, 1, 1) * c + perm.view(1, c, 1)) * per
    if not torch.equal(value.reshape(n, c, per) - expected, torch.arange(per, dtype=index.dtype).view(1, 1, per).expand(n, c, per)):
        return None
    return tuple(int(v) for v in perm)


def _as_layer(width: int, perm: tuple[int, ...]) -> Permute:
    """A shuffle with g groups when perm is one (view (g, C/g), transpose, flatten), else the
    explicit permutation."""
    for g in range(2, width):
        if width % g == 0 and perm[1] == (width // g) and tuple(shuffle_index_map(width, g)) == perm:
            return Permute(width, g, name=f"shuffle ({g} groups)")
    return Permute(width, perm=perm, name="permutation")


def segment(gm: fx.GraphModule) -> Segmentation:
    """The blocks, lone permutations, FC layers and other convs of a traced graph (node shapes
    recorded by :func:`igcdesign.probe.inspect.trace.trace`)."""
    return Segmenter(gm).segment()
