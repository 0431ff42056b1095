"""The steps a block's module runs, described without torch: what the latency model costs.

A fast module (:mod:`igcdesign.probe.fast`) compiles its chain, under one of its plans, into
steps: 1×1 stride-1 group convs as batched matrix products that read the pending shuffle through
a view, grouped k×k convs as one product per tap on shifted views (plans with 'sp'), other
convs as convolutions (channels-last or contiguous), the shuffle before a conv
materialised into its layout, a trailing shuffle or an explicit permutation as a step of its own.
:func:`plan_steps` applies the same rules to the chain and returns, per step, its shape: the
:class:`Step` whose :attr:`Step.key` names it in the machine profile's layer table. The plain
module (``impl='plain'``) runs one conv per conv (contiguous) and one copy per shuffle.

This is the only torch-free description of those rules; tests/test_latency_steps.py checks it
against ``compile_chain``'s own words for every family, so a change there fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Sequence

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute, conv_out_side

PLANS = ("cl+mm", "mm", "cl", "conv", "mm+sv", "cl+mm+sv", "sp+mm+sv", "sp+mm")  # igcdesign.probe.fast.PLANS, in order
OPS = ("conv", "shifted", "matmul", "views", "viewsout", "shuffle", "permute")
CONV_OPS = OPS[:5]  # the steps that run a conv (the rest move channels)
MAX_VIEW_GROUPS = 64  # igcdesign.probe.fast.MAX_VIEW_GROUPS
LAYOUTS = ("nchw", "nhwc")
_KEY = re.compile(
    r"(?P<op>conv|shifted|matmul|viewsout|views|shuffle|permute) ci(?P<cin>\d{1,9}) co(?P<cout>\d{1,9}) g(?P<groups>\d{1,9}) "
    r"k(?P<k>\d{1,4}) s(?P<stride>\d{1,4}) hw(?P<hw>\d{1,6}) b(?P<batch>\d{1,6}) "
    r"(?P<cl_in>nchw|nhwc)>(?P<cl_out>nchw|nhwc) sh(?P<shuffle>\d{1,9})"
)


@dataclass(frozen=True)
class Step:
    """One step on an input of `batch` maps of `hw`×`hw` pixels and `cin` channels.

    conv: a k×k conv with `groups` groups at `stride`; shifted: a grouped k×k stride-1 conv as
    one batched product per tap on shifted views (``ShiftedStep``, contiguous in and out); matmul: a 1×1 group conv as a product;
    views: a 1×1 group conv as one product per slice of strided views (``GroupViewStep``; on
    channels-last rows when `cl_out`), viewsout: the same writing through the trailing shuffle;
    shuffle: a channel shuffle of `groups` groups, materialised; permute: an explicit permutation
    (index_select). `shuffle` > 0: a shuffle of that many groups read on the way in (a view for a
    product, one copy into the conv's layout). `cl_in`/`cl_out`: the input's and the output's
    layout is channels-last (a conv runs in the layout of its output).
    """

    op: str
    cin: int
    cout: int
    groups: int
    k: int
    stride: int
    hw: int
    batch: int
    cl_in: bool
    cl_out: bool
    shuffle: int = 0

    @cached_property
    def key(self) -> str:
        """The step's name in the layer table: every field, e.g.
        'conv ci64 co64 g4 k3 s1 hw32 b1 nchw>nhwc sh0'."""
        return (f"{self.op} ci{self.cin} co{self.cout} g{self.groups} k{self.k} s{self.stride} hw{self.hw} "
                f"b{self.batch} {LAYOUTS[self.cl_in]}>{LAYOUTS[self.cl_out]} sh{self.shuffle}")

    @property
    def hw_out(self) -> int:
        return conv_out_side(self.hw, self.k, self.stride) if self.op == "conv" else self.hw

    @property
    def kind(self) -> tuple:
        """What no interpolation crosses: operation, kernel, stride, layouts, whether a shuffle is
        read, and whether the groups are one (dense), one channel each (channel-wise) or between."""
        if self.groups == 1:
            grouping = "dense"
        elif self.groups == self.cin:
            grouping = "channelwise"
        else:
            grouping = "grouped"
        if self.op in ("shuffle", "permute"):
            grouping = ""
        return (self.op, self.k, self.stride, self.cl_in, self.cl_out, self.shuffle > 0, grouping)

    @property
    def features(self) -> tuple[float, ...]:
        """Where the step sits among its kind, in octaves: channels per group in and out, groups,
        map side and batch (a shuffle: width, groups, map side, batch)."""
        from math import log2

        if self.op in ("shuffle", "permute"):
            return (log2(self.cin), log2(max(self.groups, 1)), log2(self.hw), log2(self.batch))
        return (log2(self.cin // self.groups), log2(self.cout // self.groups), log2(self.groups),
                log2(self.hw), log2(self.batch))


def parse_key(text: str) -> Step:
    """The step a layer-table key names; IGCError when it is not such a key."""
    found = _KEY.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        raise IGCError(f"not a layer key: {str(text)[:100]!r}")
    values = found.groupdict()
    step = Step(values["op"], *(int(values[n]) for n in ("cin", "cout", "groups", "k", "stride", "hw", "batch")),
                cl_in=values["cl_in"] == "nhwc", cl_out=values["cl_out"] == "nhwc", shuffle=int(values["shuffle"]))
    check_step(step)
    return step


def check_step(step: Step) -> Step:
    """The step, or IGCError when its numbers cannot describe a layer (zero, groups not dividing)."""
    numbers = (step.cin, step.cout, step.groups, step.k, step.stride, step.hw, step.batch)
    if min(numbers) < 1:
        raise IGCError(f"layer key {step.key!r}: every size must be positive")
    if step.op in CONV_OPS and (step.cin % step.groups or step.cout % step.groups):
        raise IGCError(f"layer key {step.key!r}: {step.groups} groups do not divide the channels")
    if step.op == "shifted" and not shifts(step.k, step.stride, step.groups, step.cin):
        raise IGCError(f"layer key {step.key!r}: shifted products need an odd k > 1, stride 1 and grouped channels")
    if step.shuffle and step.cin % step.shuffle:
        raise IGCError(f"layer key {step.key!r}: a shuffle of {step.shuffle} groups does not divide {step.cin} channels")
    return step


@dataclass(frozen=True)
class PlannedStep:
    """A step and the chain layers it runs (a conv and the shuffle it reads, or one permutation),
    each with its output positions per sample (a conv also with its input positions, exact where
    its stride does not divide the side): what the step's floor sums."""

    step: Step
    layers: tuple[tuple[Any, ...], ...]
    name: str


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise IGCError(f"the latency model needs a concrete chain: {what} is {value!r}")
    return value


def plan_steps(chain: Sequence[Any], plan: str, hw: int, batch: int) -> list[PlannedStep]:
    """The steps a fast module of `chain` runs under `plan` (one of :data:`PLANS`), or the
    plain module under plan 'plain', on a contiguous batch of hw×hw input maps."""
    if plan not in PLANS and plan != "plain":
        raise IGCError(f"plan must be one of {', '.join(PLANS)} or plain, got {plan!r}")
    words = plan.split("+")
    use_cl, use_mm, use_sv, use_sp = "cl" in words, "mm" in words, "sv" in words, "sp" in words
    layers_all = list(chain)
    convs = [i for i, layer in enumerate(layers_all) if isinstance(layer, GroupConv)]
    last_conv = convs[-1] if convs else -1
    tail = layers_all[last_conv + 1:]
    tail_groups = 0
    if plan != "plain" and len(tail) == 1 and isinstance(tail[0], Permute) and tail[0].perm is None:
        t, width = _int(tail[0].groups, "groups"), _int(tail[0].width, "width")
        if t not in (1, width) and width % t == 0:
            tail_groups = t
    absorbed_tail = False
    out: list[PlannedStep] = []
    pending = 0
    pending_layer: tuple[Any, int] | None = None
    channels_last = False  # the layout compile_chain believes the map is in: what its rules read
    actual = False  # the layout it is in (index_select writes a contiguous map whatever it reads)
    side = hw

    def flush() -> None:
        nonlocal pending, pending_layer
        if pending:
            width = pending_layer[0].width
            step = Step("shuffle", width, width, pending, 1, 1, side, batch, actual, actual)
            out.append(PlannedStep(step, (pending_layer,), pending_layer[0].name))
        pending, pending_layer = 0, None

    for position, layer in enumerate(layers_all):
        if isinstance(layer, Permute):
            if absorbed_tail:
                continue
            width = _int(layer.width, "width")
            flush()
            if layer.perm is not None:
                step = Step("permute", width, width, 1, 1, 1, side, batch, actual, False)
                out.append(PlannedStep(step, ((layer, side * side),), layer.name))
                actual = False
                continue
            groups = _int(layer.groups, "groups")
            if groups not in (1, width):
                pending, pending_layer = groups, (layer, side * side)
                if plan == "plain":
                    flush()
            continue
        if not isinstance(layer, GroupConv):
            raise IGCError(f"the latency model cannot cost layer {layer!r}")
        cin, cout = _int(layer.cin, "cin"), _int(layer.cout, "cout")
        groups, k, stride = _int(layer.groups, "groups"), _int(layer.k, "k"), _int(layer.stride, "stride")
        if cin % groups or cout % groups:
            raise IGCError(f"{layer.name}: {groups} groups do not divide {cin} → {cout} channels")
        if stride > side:
            raise IGCError(f"{layer.name}: stride {stride} is larger than its {side}×{side} input map")
        pointwise = k == 1 and stride == 1
        mode = view_rule(channels_last, pending, cin // groups, tail_groups if position == last_conv else 0, groups) if (
            use_sv and pointwise and groups > 1) else None
        chunks = cin // pending if mode == "views" and pending else groups
        tail_layer: tuple = ()
        if mode is not None and chunks <= MAX_VIEW_GROUPS:
            rows = mode == "rows"
            into = position == last_conv and tail_groups == groups and not rows and pending in (0, cin // groups)
            step = Step("viewsout" if into else "views", cin, cout, groups, 1, 1, side, batch, actual, rows, pending)
            if into:
                absorbed_tail = True
                tail_layer = ((tail[0], side * side),)
        elif use_mm and pointwise and (groups > 1 or not channels_last):
            step = Step("matmul", cin, cout, groups, 1, 1, side, batch, actual, False, pending)
        elif use_sp and shifts(k, stride, groups, cin):
            step = Step("shifted", cin, cout, groups, k, 1, side, batch, actual, False, pending)
        else:
            cl = use_cl and (1 < groups < cin or channels_last)
            step = Step("conv", cin, cout, groups, k, stride, side, batch, actual, cl, pending)
        side_out = step.hw_out
        layers = ((pending_layer,) if pending_layer else ()) + ((layer, side_out * side_out, side * side),) + tail_layer
        out.append(PlannedStep(step, layers, layer.name))
        channels_last = actual = step.cl_out
        side = side_out
        pending, pending_layer = 0, None
    flush()
    if not any(p.step.op in CONV_OPS for p in out):
        raise IGCError("empty chain: nothing to cost")
    return out


def shifts(k: int, stride: int, groups: int, cin: int) -> bool:
    """Whether rule 'sp' runs a conv as shifted products: odd k > 1, stride 1, and more than one
    group of more than one channel (a dense or a channel-wise conv keeps its kernels)."""
    return k > 1 and k % 2 == 1 and stride == 1 and 1 < groups < cin


def view_rule(channels_last: bool, pending: int, ci: int, tail: int, groups: int) -> str | None:
    """How per-group products on strided views save a copy here, or None where they do not:
    'rows' on a channels-last map with no shuffle to read through (the batched product would copy
    the map into (n, g, ci, h·w) first); 'views' of a contiguous map (after one layout copy when
    it is channels-last) read through a shuffle whose groups ``ci`` divides, or written through
    the trailing shuffle (IGCV1's permute-back)."""
    if channels_last and pending == 0:
        return "rows"
    if pending and pending % ci:
        return None
    if pending or tail == groups:
        return "views"
    return None


def plan_words(steps: Sequence[PlannedStep]) -> list[str]:
    """compile_chain's word for each step ('matmul g=2 via shuffle 4', 'conv 3x3 g=4 channels-last')."""
    words = []
    for planned in steps:
        s = planned.step
        via = f" via shuffle {s.shuffle}" if s.shuffle else ""
        if s.op == "matmul":
            words.append(f"matmul g={s.groups}{via}")
        elif s.op in ("views", "viewsout"):
            chunks = s.cin // s.shuffle if s.shuffle and not s.cl_out else s.groups
            words.append(f"matmul g={s.groups} as {chunks} view products" + (" on rows" if s.cl_out else "")
                         + (" after a layout copy" if s.cl_in and not s.cl_out else "") + via
                         + (f" into shuffle {s.groups}" if s.op == "viewsout" else ""))
        elif s.op == "conv":
            words.append(f"conv {s.k}x{s.k} g={s.groups}" + (" channels-last" if s.cl_out else "") + via)
        elif s.op == "shifted":
            words.append(f"conv {s.k}x{s.k} g={s.groups} as shifted products{via}")
        elif s.op == "shuffle":
            words.append(f"shuffle {s.groups}")
        else:
            words.append("permute")
    return words
