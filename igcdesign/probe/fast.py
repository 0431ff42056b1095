"""Fast modules: the same chain as :mod:`igcdesign.probe.modules`, run the way the hardware likes.

The plain module runs one ``nn.Conv2d(groups=g)`` per conv and materialises every channel
shuffle. PyTorch's grouped-conv kernels are slow for small groups, and a shuffle is a whole
pass over the map. Here the chain is compiled, once, into steps:

- a 1×1 group conv at stride 1 is a batched matrix product, ``W (g, co, ci) @ X (n, g, ci, h·w)``,
  on a reshaped view of the channel axis; a shuffle before it is not run at all: it is the
  choice of view, ``(n, s, C/s, h·w)`` transposed, that the product reads its operand through
  (torch copies an operand only when no strided view can express it);
- a k×k (or strided) conv stays a convolution, in channels-last where it is grouped with more
  than one channel per group (there oneDNN's kernels are several times faster than the
  contiguous ones; a channel-wise conv is as fast contiguous, and its neighbours' products
  want contiguous maps), the shuffle before it materialised straight into the layout the conv
  wants, in one pass;
- with 'sp', a grouped k×k conv (odd k, stride 1, more than one channel per group) runs as k²
  batched products instead, one per tap: on the input padded once and flattened, the tap
  (dy, dx) reads the slice that starts dy·(w + k − 1) + dx further on, a strided view that the
  product takes as it is, and accumulates ``W_tap (g, co, ci) @ slice (g, ci, ·)`` into one
  output computed on the padded width (the extra k − 1 columns per row are dropped at the end).
  The taps run over runs of groups of about ``SHIFT_CHUNK_BYTES`` each, in and out, so that a
  run stays in the cache through its k² products (IGCV1's L=168,M=18 primary conv: 17 ms in
  runs of 4 MiB against 26 ms in one). For many small groups this beats oneDNN's grouped
  kernels here (``igcv1:L=72,M=9``'s primary conv: 2.7–4 ms against 9.2 channels-last and
  9.4 contiguous, at 2 threads); the tuner measures where;
- a dense 1×1 conv after a channels-last step stays a channels-last conv (a GEMM on NHWC with
  no layout change); after a contiguous step it is a plain matrix product;
- a trailing permutation (IGCV1's permute-back) is the only shuffle that moves data on its own.

Which of these rules apply is a plan (:data:`PLANS`; ``conv`` is the plain module's kernels):
:mod:`igcdesign.probe.tune` picks it per block and input shape by a short measurement and caches
the choice in the machine profile; :data:`DEFAULT_PLAN` is used without one.

Parameters are the plain module's convs, same shapes and order (``load_plain`` copies a plain
module's weights in), so parameter counts are equal; BN/ReLU follow the block as in the plain
module. The steps are TorchScript-, trace- and export-friendly (shapes from the input, integer
attributes only). :data:`IMPLEMENTATIONS` names the two: ``plain`` and ``fast``.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from igcdesign.errors import IGCError, shown
from igcdesign.layers import GroupConv, Permute
from igcdesign.latency.steps import shifts, view_rule
from igcdesign.probe.modules import _concrete, chain_module, conv_padding

from igcdesign.probe import DEFAULT_IMPL, IMPLEMENTATIONS, parse_impls  # noqa: F401 (torch-free, re-exported)

# Which rules a plan applies: 'cl' grouped k×k convs channels-last, 'mm' 1×1 convs as products,
# 'sv' 1×1 group convs as one product per group on strided views where that saves a copy,
# 'sp' grouped k×k convs as one batched product per tap on shifted views (ShiftedStep).
PLANS = ("cl+mm", "mm", "cl", "conv", "mm+sv", "cl+mm+sv", "sp+mm+sv", "sp+mm")
DEFAULT_PLAN = "cl+mm+sv"
MAX_VIEW_GROUPS = 64  # 'sv' runs one product per view slice: for many slices one batched product wins
SHIFT_CHUNK_BYTES = 8 << 20  # ShiftedStep runs its k² taps over runs of groups of about this many bytes


def shuffled(x: torch.Tensor, groups: int, channels_last: bool) -> torch.Tensor:
    """x with a channel shuffle of `groups` groups applied, materialised in one pass into
    channels-last (or contiguous) memory, whatever layout x is in."""
    n, c, h, w = x.shape
    if channels_last:
        # NHWC result [n, hw, a, b] = x[n, b·(c/g) + a, hw]
        if x.is_contiguous(memory_format=torch.channels_last):
            src = x.permute(0, 2, 3, 1).reshape(n, h * w, groups, c // groups).transpose(2, 3)
        else:
            src = x.reshape(n, groups, c // groups, h * w).permute(0, 3, 2, 1)
        return src.contiguous().view(n, h, w, c).permute(0, 3, 1, 2)
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        src = x.permute(0, 2, 3, 1).reshape(n, h * w, groups, c // groups).permute(0, 3, 2, 1)
    else:
        src = x.reshape(n, groups, c // groups, h * w).transpose(1, 2)
    return src.contiguous().view(n, c, h, w)


def conv_weight(cin: int, cout: int, groups: int, k: int) -> nn.Parameter:
    """A weight of nn.Conv2d's shape, (cout, cin/groups, k, k), initialised as nn.Conv2d does."""
    weight = nn.Parameter(torch.empty(cout, cin // groups, k, k))
    nn.init.kaiming_uniform_(weight, a=5**0.5)
    return weight


class ConvStep(nn.Module):
    """A conv kept as a conv: the pending shuffle (0: none) materialised into its layout first."""

    def __init__(self, conv: nn.Conv2d, shuffle: int, channels_last: bool):
        super().__init__()
        self.conv = conv
        self.shuffle = shuffle
        self.channels_last = channels_last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.shuffle > 0:
            x = shuffled(x, self.shuffle, self.channels_last)
        elif self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.conv(x)

    def extra_repr(self) -> str:
        return f"shuffle_in={self.shuffle}, channels_last={self.channels_last}"


class ShiftedStep(nn.Module):
    """A grouped k×k stride-1 conv (odd k) as k² batched products on shifted views of the padded,
    flattened input (module docstring); the pending shuffle (0: none) materialised first. The
    weight has nn.Conv2d's shape; the output is contiguous."""

    def __init__(self, cin: int, cout: int, groups: int, k: int, shuffle: int):
        super().__init__()
        if k % 2 == 0:
            raise IGCError(f"shifted products need an odd kernel, got {k}")
        self.cin = cin
        self.cout = cout
        self.groups = groups
        self.k = k
        self.shuffle = shuffle
        self.chunk_bytes = SHIFT_CHUNK_BYTES
        self.weight = conv_weight(cin, cout, groups, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = shuffled(x, self.shuffle, False) if self.shuffle > 0 else x.contiguous()
        n, c, h, w = x.shape
        k, g = self.k, self.groups
        co, ci = self.cout // g, c // g
        p = k // 2
        row = w + 2 * p
        span = h * row  # output positions on the padded width
        # padded group-major, (g, n, ci, ·), so that a run of groups is one block of rows for
        # every sample; one zero row more at the bottom keeps the last tap's slice inside
        grouped = x.view(n, g, ci, h, w).transpose(0, 1)
        flat = torch.nn.functional.pad(grouped, [p, p, p, p + 1]).view(g * n, ci, -1)
        taps = self.weight.view(g, co, ci, k * k).permute(3, 0, 1, 2).unsqueeze(2).expand(k * k, g, n, co, ci)
        # one copy (a view where n is 1, and the product would then read the weight at stride k²)
        taps = taps.reshape(k * k, g * n, co, ci).contiguous()
        per_group = x.element_size() * (ci * (h + k) * row + co * span)  # one sample's group, in and out
        chunk = max(1, self.chunk_bytes // per_group)  # groups whose taps all run while they are in the cache
        parts: list[torch.Tensor] = []
        for first in range(0, g, chunk):
            low, high = first * n, min(g, first + chunk) * n
            part = torch.bmm(taps[0, low:high], flat[low:high, :, 0:span])
            for t in range(1, k * k):
                start = (t // k) * row + t % k
                part.baddbmm_(taps[t, low:high], flat[low:high, :, start:start + span])
            parts.append(part)
        out = parts[0] if len(parts) == 1 else torch.cat(parts)
        return out.view(g, n, co, h, row).transpose(0, 1)[:, :, :, :, 0:w].contiguous().view(n, self.cout, h, w)

    def extra_repr(self) -> str:
        return f"{self.cin}→{self.cout}, groups={self.groups}, k={self.k}, shuffle_in={self.shuffle}"


class MatmulStep(nn.Module):
    """A 1×1 stride-1 group conv as ``W (g, co, ci) @ X (n, g, ci, h·w)``; the input read
    through the pending shuffle's view (0: none). The weight has nn.Conv2d's shape."""

    def __init__(self, cin: int, cout: int, groups: int, shuffle: int):
        super().__init__()
        self.cin = cin
        self.cout = cout
        self.groups = groups
        self.shuffle = shuffle
        self.weight = conv_weight(cin, cout, groups, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        hw = h * w
        g = self.groups
        s = self.shuffle
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
            rows = x.permute(0, 2, 3, 1).reshape(n, hw, c)  # a view of the NHWC memory
            if s > 0:  # logical channel a·s + b is rows[..., b·(c/s) + a]
                cols = rows.reshape(n, hw, s, c // s).permute(0, 3, 2, 1)
            else:
                cols = rows.transpose(1, 2)
            operand = cols.reshape(n, g, c // g, hw)  # layout change and shuffle in one copy
        else:
            cols = x.reshape(n, c, hw)
            if s > 0:
                cols = cols.reshape(n, s, c // s, hw).transpose(1, 2)
            operand = cols.reshape(n, g, c // g, hw)
        weight = self.weight.view(g, self.cout // g, c // g)
        out = torch.matmul(weight, operand)
        return out.reshape(n, self.cout, h, w)

    def extra_repr(self) -> str:
        return f"{self.cin}→{self.cout}, groups={self.groups}, shuffle_in={self.shuffle}"


class GroupViewStep(nn.Module):
    """A 1×1 stride-1 group conv as one product per group, each reading and writing a strided
    view, so that neither the shuffle before it nor the permutation after it moves data.

    In a contiguous (NCHW) map group j reads channels ``j·ci …`` (no shuffle) or, through a pending
    shuffle of ``s`` groups with ci dividing s, channels that a strided view holds (for s = ci,
    IGCV1's interleave: ``j, j + C/ci, …``; for IGCV2's, s/ci groups per slice); it writes channels
    ``j·co …`` or, absorbing a trailing shuffle of ``groups`` groups (IGCV1's permute-back),
    channels ``j, j + groups, …``: ``W_j (co, ci) @ X_j (n, ci, h·w)`` with unit stride along h·w.
    In a channels-last map (no shuffle either side) the contraction runs the other way,
    ``X_j (n·h·w, ci) @ W_jᵀ`` on rows of the NHWC memory, and the result stays channels-last.
    Under autograd (``out=`` products have no gradient) the per-group results are stacked instead.
    """

    def __init__(self, cin: int, cout: int, groups: int, shuffle: int, shuffle_out: int, rows: bool):
        super().__init__()
        self.cin = cin
        self.cout = cout
        self.groups = groups
        self.shuffle = shuffle
        self.shuffle_out = shuffle_out
        self.rows = rows
        self.weight = conv_weight(cin, cout, groups, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        hw = h * w
        g = self.groups
        ci, co = c // g, self.cout // g
        weight = self.weight.view(g, co, ci)
        grad = torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad)
        if self.rows:
            rows = x.permute(0, 2, 3, 1).reshape(n * hw, c)  # a view of the NHWC memory
            if grad:
                parts = [torch.matmul(rows[:, j * ci:(j + 1) * ci], weight[j].t()) for j in range(g)]
                out = torch.cat(parts, dim=1)
            else:
                out = torch.empty((n * hw, self.cout), dtype=x.dtype, device=x.device)
                for j in range(g):
                    torch.matmul(rows[:, j * ci:(j + 1) * ci], weight[j].t(), out=out[:, j * co:(j + 1) * co])
            return out.view(n, h, w, self.cout).permute(0, 3, 1, 2)
        # Through a shuffle of s groups (ci dividing s), logical channel a·s + ci·j' + i sits at
        # (ci·j' + i)·(c/s) + a: a strided view [n, j', i, a, hw] of the memory, so group R·a + j'
        # (R = s/ci, a < c/s) is slice a of it, and one product per a covers R groups at once.
        x = x.contiguous()  # a no-op on NCHW; on NHWC the one layout copy, after which every view is unit-stride
        if self.shuffle > 0:
            per = self.shuffle // ci
            chunks = c // self.shuffle
            source = x.reshape(n, per, ci, chunks, hw).permute(0, 3, 1, 2, 4)  # [n, a, j', i, hw]
        else:
            per = 1
            chunks = g
            source = x.reshape(n, g, 1, ci, hw)
        weights = weight.view(chunks, per, co, ci)
        if grad:
            parts = [torch.matmul(weights[a], source[:, a]) for a in range(chunks)]  # each (n, per, co, hw)
            if self.shuffle_out > 0:  # per == 1: output channel k·g + a
                return torch.stack([part[:, 0] for part in parts], dim=2).reshape(n, self.cout, h, w)
            return torch.stack(parts, dim=1).reshape(n, self.cout, h, w)
        if self.shuffle_out > 0:  # output channel k·g + j of group j, output k
            out = torch.empty((n, co, g, hw), dtype=x.dtype, device=x.device)
            for a in range(chunks):
                torch.matmul(weights[a, 0], source[:, a, 0], out=out[:, :, a])
        else:
            out = torch.empty((n, chunks, per, co, hw), dtype=x.dtype, device=x.device)
            for a in range(chunks):
                torch.matmul(weights[a], source[:, a], out=out[:, a])
        return out.view(n, self.cout, h, w)

    def extra_repr(self) -> str:
        return (f"{self.cin}→{self.cout}, groups={self.groups}, shuffle_in={self.shuffle}, "
                f"shuffle_out={self.shuffle_out}, rows={self.rows}")


class ShuffleStep(nn.Module):
    """A permutation that no product can absorb (the chain's last layer): materialised."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cl = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        return shuffled(x, self.groups, cl)


class IndexStep(nn.Module):
    """An explicit permutation: output channel j is input channel index[j] (index_select)."""

    def __init__(self, index: Sequence[int]):
        super().__init__()
        self.register_buffer("index", torch.tensor([int(i) for i in index], dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.index_select(1, self.index)


class FastChainModule(nn.Module):
    """A chain compiled into steps (see the module docstring), then optional BN and ReLU.

    ``chain`` is the chain it was built from, ``plan`` one word per step (what runs).
    In a network (:func:`fold_plan`) a block may leave its trailing shuffle to the next block
    (``drop_tail``: its output is the chain's before that shuffle) and the next block read its
    input through it (``shuffle_in``, the shuffle's groups): alone, neither computes the chain.
    """

    def __init__(self, chain: Sequence[Any], *, bn: bool = False, relu: bool = False, plan: str = DEFAULT_PLAN,
                 shuffle_in: int = 0, drop_tail: bool = False):
        super().__init__()
        if drop_tail and bn:
            raise IGCError("a block followed by BN cannot leave its trailing shuffle to the next block")
        steps, words = compile_chain(chain, plan, shuffle_in=shuffle_in, drop_tail=drop_tail)
        self.shuffle_in = shuffle_in
        self.drop_tail = drop_tail
        self.steps = nn.ModuleList(steps)
        self.post = nn.Sequential()
        if bn:
            self.post.append(nn.BatchNorm2d(_out_channels(chain)))
        if relu:
            self.post.append(nn.ReLU())
        self.chain = tuple(chain)
        self.rules = plan
        self.plan = tuple(words)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for step in self.steps:
            x = step(x)
        return self.post(x)

    @torch.jit.ignore
    def conv_weights(self) -> list[nn.Parameter]:
        """The weights of the chain's convs, in chain order (nn.Conv2d shapes)."""
        found = []
        for step in self.steps:
            if isinstance(step, ConvStep):
                found.append(step.conv.weight)
            elif isinstance(step, (MatmulStep, GroupViewStep, ShiftedStep)):
                found.append(step.weight)
        return found

    @torch.jit.ignore
    @torch.no_grad()
    def replan(self, plan: str) -> "FastChainModule":
        """The same block (its weights and BN/ReLU, shared) compiled with another plan."""
        other = FastChainModule(self.chain, plan=plan, shuffle_in=self.shuffle_in, drop_tail=self.drop_tail)
        for mine, theirs in zip(other.conv_weights(), self.conv_weights()):
            mine.copy_(theirs)
        other.post = self.post
        return other.to(device=theirs.device, dtype=theirs.dtype)

    @torch.jit.ignore
    @torch.no_grad()
    def load_plain(self, plain: nn.Module) -> "FastChainModule":
        """Copy a plain module's conv weights (and BN state) in: the two then compute the same."""
        convs = [m for m in plain.modules() if isinstance(m, nn.Conv2d)]
        mine = self.conv_weights()
        if len(convs) != len(mine) or any(c.weight.shape != w.shape for c, w in zip(convs, mine)):
            raise IGCError("load_plain: the plain module is not built from the same chain")
        for conv, weight in zip(convs, mine):
            weight.copy_(conv.weight)
        bns = [m for m in plain.modules() if isinstance(m, nn.BatchNorm2d)]
        for mine_bn, theirs in zip([m for m in self.post if isinstance(m, nn.BatchNorm2d)], bns):
            mine_bn.load_state_dict(theirs.state_dict())
        return self


def _out_channels(chain: Sequence[Any]) -> int:
    for layer in reversed(chain):
        if isinstance(layer, GroupConv):
            return _concrete(layer.cout, "cout")
    raise IGCError("chain has no convolution")


def compile_chain(chain: Sequence[Any], plan: str = DEFAULT_PLAN, *, shuffle_in: int = 0,
                  drop_tail: bool = False) -> tuple[list[nn.Module], list[str]]:
    """The steps of a chain and a word for each; IGCError for what cannot be built.

    ``shuffle_in`` (groups, 0: none) is a shuffle of the input that the first step reads through,
    as it would one pending inside the chain; ``drop_tail`` leaves out the chain's trailing
    shuffle (IGCError when the chain does not end with one) for the next block to read through.

    Layout is tracked from a contiguous input. With 'cl' in the plan a grouped k×k conv with
    more than one channel per group runs channels-last; a dense conv (k×k, or 1×1 after a channels-last step) runs in the layout it
    is given. With 'mm' a grouped 1×1 conv (or a dense one after a contiguous step) is a
    product that writes a contiguous map. Plan 'conv' is the plain module's kernels.
    """
    if plan not in PLANS:
        raise IGCError(f"fast plan must be one of {', '.join(PLANS)}, got '{shown(plan)}'")
    rules = plan.split("+")
    use_cl, use_mm, use_sv, use_sp = "cl" in rules, "mm" in rules, "sv" in rules, "sp" in rules
    steps: list[nn.Module] = []
    plan: list[str] = []
    pending = shuffle_in  # shuffle groups waiting for the next step to read through
    channels_last = False
    layers = list(chain)
    if not any(isinstance(layer, GroupConv) for layer in layers):
        raise IGCError("empty chain: nothing to build")
    if shuffle_in:
        first = next(layer for layer in layers if isinstance(layer, GroupConv))
        if shuffle_in < 0 or _concrete(first.cin, "cin") % shuffle_in:
            raise IGCError(f"shuffle_in: {shuffle_in} groups do not divide the block's input channels")
    last_conv = max(i for i, layer in enumerate(layers) if isinstance(layer, GroupConv))
    tail = layers[last_conv + 1:]
    tail_groups = 0  # a single trailing shuffle, which a GroupViewStep can write through
    if len(tail) == 1 and tail[0].perm is None:
        width, t = _concrete(tail[0].width, "width"), _concrete(tail[0].groups, "groups")
        if t not in (1, width) and width % t == 0:
            tail_groups = t
    if drop_tail and not tail_groups:
        raise IGCError("drop_tail: the chain does not end with a channel shuffle")
    if drop_tail:  # the next block reads through it: nothing here writes through it
        layers = layers[:last_conv + 1]
        tail_groups = 0
    absorbed_tail = False

    def flush():
        nonlocal pending
        if pending:
            steps.append(ShuffleStep(pending))
            plan.append(f"shuffle {pending}")
            pending = 0

    for position, layer in enumerate(layers):
        if isinstance(layer, Permute):
            if absorbed_tail:
                continue
            width = _concrete(layer.width, "width")
            if layer.perm is not None:
                flush()
                index = [int(i) for i in layer.perm]
                if sorted(index) != list(range(width)):
                    raise IGCError(f"not a permutation of {width} channels")
                steps.append(IndexStep(index))
                plan.append("permute")
                continue
            flush()
            groups = _concrete(layer.groups, "groups")
            if width % groups:
                raise IGCError(f"shuffle: {groups} groups do not divide {width} channels")
            if groups not in (1, width):
                pending = groups
            continue
        if not isinstance(layer, GroupConv):
            raise IGCError(f"cannot build a module for layer {layer!r}")
        cin, cout = _concrete(layer.cin, "cin"), _concrete(layer.cout, "cout")
        groups, k = _concrete(layer.groups, "groups"), _concrete(layer.k, "k")
        stride = _concrete(layer.stride, "stride")
        if cin % groups or cout % groups:
            raise IGCError(f"{layer.name}: {groups} groups do not divide {cin} → {cout} channels")
        pointwise = k == 1 and stride == 1
        mode = view_rule(channels_last, pending, cin // groups, tail_groups if position == last_conv else 0, groups) if (
            use_sv and pointwise and groups > 1) else None
        chunks = cin // pending if mode == "views" and pending else groups  # products the step runs
        if mode is not None and chunks <= MAX_VIEW_GROUPS:
            rows = mode == "rows"
            shuffle_out = groups if (position == last_conv and tail_groups == groups and not rows
                                     and pending in (0, cin // groups)) else 0
            steps.append(GroupViewStep(cin, cout, groups, pending, shuffle_out, rows))
            plan.append(f"matmul g={groups} as {chunks} view products" + (" on rows" if rows else "")
                        + (" after a layout copy" if channels_last and not rows else "")
                        + (f" via shuffle {pending}" if pending else "") + (f" into shuffle {shuffle_out}" if shuffle_out else ""))
            absorbed_tail = shuffle_out > 0
            channels_last = rows
        elif use_mm and pointwise and (groups > 1 or not channels_last):
            steps.append(MatmulStep(cin, cout, groups, pending))
            plan.append(f"matmul g={groups}" + (f" via shuffle {pending}" if pending else ""))
            channels_last = False
        elif use_sp and shifts(k, stride, groups, cin):
            steps.append(ShiftedStep(cin, cout, groups, k, pending))
            plan.append(f"conv {k}x{k} g={groups} as shifted products" + (f" via shuffle {pending}" if pending else ""))
            channels_last = False
        else:
            cl = use_cl and (1 < groups < cin or channels_last)
            conv = nn.Conv2d(cin, cout, k, stride=stride, padding=conv_padding(k, stride), groups=groups, bias=False)
            steps.append(ConvStep(conv, pending, cl))
            plan.append(f"conv {k}x{k} g={groups}" + (" channels-last" if cl else "") + (f" via shuffle {pending}" if pending else ""))
            channels_last = cl
        pending = 0
    flush()
    return steps, plan


def fast_module(chain: Sequence[Any], *, bn: bool = False, relu: bool = False, plan: str = DEFAULT_PLAN,
                shuffle_in: int = 0, drop_tail: bool = False) -> FastChainModule:
    """The fast nn.Module of a concrete chain (ints), with optional BN and ReLU after the block;
    `plan` picks the rules (see :data:`PLANS`; :mod:`igcdesign.probe.tune` measures which);
    `shuffle_in` / `drop_tail` as :class:`FastChainModule` says."""
    return FastChainModule(chain, bn=bn, relu=relu, plan=plan, shuffle_in=shuffle_in, drop_tail=drop_tail)


def trailing_shuffle(chain: Sequence[Any]) -> int:
    """The groups of the shuffle a chain ends with (after its last conv, alone), or 0."""
    layers = list(chain)
    if len(layers) < 2 or not isinstance(layers[-1], Permute) or not isinstance(layers[-2], GroupConv):
        return 0
    last = layers[-1]
    if last.perm is not None or not isinstance(last.groups, int) or not isinstance(last.width, int):
        return 0
    return last.groups if last.groups not in (1, last.width) and last.width % last.groups == 0 else 0


def fold_plan(blocks: Sequence[tuple[Sequence[Any], bool, bool]]) -> list[tuple[int, bool]]:
    """Which blocks of a sequence hand their trailing shuffle to the next: one (shuffle_in,
    drop_tail) per block. `blocks` lists, in the order they run, (chain, followed by BN, the next
    block's input reaches it alone: no shortcut adds to this block's output or reads the next's
    input). A shuffle is handed on where that holds, no BN follows (ReLU commutes with a
    permutation, BN's per-channel parameters do not) and the next chain starts with a conv."""
    folds = [[0, False] for _ in blocks]
    for i in range(len(blocks) - 1):
        chain, bn, alone = blocks[i]
        following = list(blocks[i + 1][0])
        t = trailing_shuffle(chain)
        if t and not bn and alone and following and isinstance(following[0], GroupConv):
            folds[i][1] = True
            folds[i + 1][0] = t
    return [(s, d) for s, d in folds]


def build(chain: Sequence[Any], impl: str = DEFAULT_IMPL, *, bn: bool = False, relu: bool = False,
          shuffle_in: int = 0, drop_tail: bool = False) -> nn.Module:
    """The module of a chain in one of :data:`IMPLEMENTATIONS` ('plain' or 'fast'); the fast one
    may hand a trailing shuffle on (`shuffle_in`, `drop_tail`; ignored by 'plain', which
    materialises every shuffle)."""
    if impl == "plain":
        return chain_module(chain, bn=bn, relu=relu)
    if impl == "fast":
        return fast_module(chain, bn=bn, relu=relu, shuffle_in=shuffle_in, drop_tail=drop_tail)
    raise IGCError(f"--impl must be one of {', '.join(IMPLEMENTATIONS)}, got '{shown(impl)}'")


__all__ = ["DEFAULT_IMPL", "DEFAULT_PLAN", "FastChainModule", "GroupViewStep", "IMPLEMENTATIONS", "PLANS", "build", "compile_chain",
           "fast_module", "fold_plan", "trailing_shuffle",
           "parse_impls", "shuffled"]
