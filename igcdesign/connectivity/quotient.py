"""Path counts of large chains on class-level quotient matrices, without a dense C×C product.

A group conv with g groups is U_out·U_inᵀ (group-indicator matrices) and a permutation is an index
map, so p(o, i) depends only on the group of o in the last conv and the group of i in the first:
p = U_out · (T_{L-1} ⋯ T_1) · U_inᵀ, where T_l[a, b] counts the channels of conv l's group b that
the gap permutation puts into conv l+1's group a. We multiply the T_l out from the input side, and
after every step merge identical rows (groups with the same path profile) and identical columns
(input groups that no later layer tells apart). The matrix we hold is then (row classes × column
classes), e.g. 1×1 for a strict IGCV2 chain of any width. It is held sparsely (sparse.Coo, only
non-zero entries), so a chain that falls apart into many independent components — channel-wise
convs with identity gaps, where every class reaches only its own block — costs about as much
as one component per class, not (classes)².
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute

# Limit (documented in `igcdesign check --help`) on the channels at any interface; the limits on
# the class-level matrix itself are in sparse.py.
MAX_WIDTH = 1 << 22


@dataclass
class Segments:
    """A chain split into its convs and the composed permutation before / between / after them."""

    convs: list[GroupConv]
    lead: object  # index map applied before the first conv, or None
    gaps: list  # index map per gap between conv l and conv l+1, or None for identity
    tail: object  # index map after the last conv, or None


def _compose(first, second):
    """Index map of `first` followed by `second` (output j = input first[second[j]])."""
    if first is None:
        return second
    return first[second]


def split_chain(chain: Sequence) -> Segments:
    """Convs of a concrete chain and the permutations around them, checked for matching widths."""
    import numpy as np

    convs: list[GroupConv] = []
    pending = None
    lead, gaps = None, []
    width = None
    for layer in chain:
        if isinstance(layer, GroupConv):
            cin, cout, g = int(layer.cin), int(layer.cout), int(layer.groups)
            for w in (cin, cout):
                if w > MAX_WIDTH:
                    raise IGCError(f"{w:,} channels is beyond the {MAX_WIDTH:,}-channel limit of check")
            if g <= 0 or cin % g or cout % g:
                raise IGCError(f"{layer.name}: {g} groups do not divide {cin}→{cout} channels")
            if width is not None and width != cin:
                raise IGCError(f"{layer.name}: expects {cin} channels, the chain gives {width}")
            if convs:
                gaps.append(pending)
            else:
                lead = pending
            convs.append(layer)
            pending, width = None, cout
        elif isinstance(layer, Permute):
            w = int(layer.width)
            if w > MAX_WIDTH:
                raise IGCError(f"{w:,} channels is beyond the {MAX_WIDTH:,}-channel limit of check")
            if width is not None and width != w:
                raise IGCError(f"{layer.name}: permutes {w} channels, the chain gives {width}")
            idx = np.asarray(layer.index_map(), dtype=np.int64)
            if idx.shape != (w,) or not np.array_equal(np.sort(idx), np.arange(w)):
                raise IGCError(f"{layer.name}: not a permutation of {w} channels")
            pending, width = _compose(pending, idx), w
        else:
            raise IGCError(f"unknown layer type {type(layer).__name__}")
    if not convs:
        raise IGCError("the chain has no convolution: nothing to check")
    return Segments(convs, lead, gaps, pending)


@dataclass
class Step:
    """What the flow looks like after one conv: classes of its groups and reach from the inputs."""

    conv: GroupConv
    group_class: object  # row class of each of the conv's groups (same class = same path profile)
    reach_min: int  # output channels of this conv reachable from one input channel (min, max)
    reach_max: int
    paths_max: int  # most paths from one input channel to one channel here
    lost_spread: bool  # the gap before this conv put reached channels into already-reached groups


@dataclass
class Quotient:
    """p(o, i) = q[out_class[o], in_class[i]] for the whole chain; q is a sparse `Coo` (no entry = 0)."""

    q: object
    out_class: object
    in_class: object
    row_size: object = field(default=None)
    col_size: object = field(default=None)
    steps: list[Step] = field(default_factory=list)

    def paths_range(self) -> tuple[int, int]:
        """(min, max) of p(o, i) over all pairs; every row and column class is non-empty."""
        return self.q.min(), self.q.max()


def _gap_counts(prev_class, prev_groups, width, idx, groups):
    """(a, k, n): n channels of conv l+1's group a come from conv l groups of row class k."""
    import numpy as np

    src = np.arange(width, dtype=np.int64) if idx is None else idx
    k = prev_class[src // (width // prev_groups)]
    a = np.arange(width, dtype=np.int64) // (width // groups)
    nk = int(prev_class.max()) + 1
    keys, counts = np.unique(a * nk + k, return_counts=True)
    return keys // nk, keys % nk, counts.astype(np.int64)


def quotient(chain: Sequence) -> Quotient:
    """The class-level path-count matrix of a concrete chain (see module docstring)."""
    import numpy as np

    import igcdesign.connectivity.sparse as sparse
    from igcdesign.connectivity.paths import path_bound

    seg = split_chain(chain)
    bound = path_bound(chain)
    if bound >= 1 << 62:
        raise IGCError("path counts of this chain may overflow 64-bit integers")
    float_exact = bound < 1 << 53
    first = seg.convs[0]
    g1, cin1, cout1 = int(first.groups), int(first.cin), int(first.cout)
    col_of_group = np.arange(g1, dtype=np.int64)  # column class of each conv-1 input group
    group_class = np.arange(g1, dtype=np.int64)  # row class of each group of the current conv
    q = sparse.identity(g1)
    steps = [Step(first, group_class, cout1 // g1, cout1 // g1, 1, False)]
    prev_groups, width = g1, cout1
    prev_reach = np.full(g1, cout1 // g1, dtype=np.int64)
    for n_conv, (conv, idx) in enumerate(zip(seg.convs[1:], seg.gaps), start=2):
        g, cin, cout = int(conv.groups), int(conv.cin), int(conv.cout)
        a, k, n = _gap_counts(group_class, prev_groups, cin, idx, g)
        q = sparse.product(q, a, k, n, g, float_exact, where=f"conv {n_conv}")
        # Per column class (equal columns have equal reach): groups of this conv reached, and whether
        # the gap sent reached channels into already-reached groups while some stayed unreached.
        touched = q.col_counts()
        lost_spread = bool((touched < np.minimum(g, prev_reach)).any())
        reach = touched * (cout // g)
        # Columns no later layer can tell apart merge for good.
        merged_q, merged = sparse.dedup_cols(q)
        if merged_q.ncols < q.ncols:
            q = merged_q
            col_of_group = merged[col_of_group]
            reach_of_class = np.empty(q.ncols, dtype=np.int64)
            reach_of_class[merged] = reach  # equal columns reach equally many channels
            reach = reach_of_class
        q, group_class = sparse.dedup_rows(q)
        steps.append(Step(conv, group_class, int(reach.min()), int(reach.max()), q.max(), lost_spread))
        prev_groups, width, prev_reach = g, cout, reach
    out_pos = np.arange(width, dtype=np.int64) if seg.tail is None else seg.tail
    out_class = group_class[out_pos // (width // prev_groups)]
    in_pos = np.arange(cin1, dtype=np.int64)
    if seg.lead is not None:
        in_pos = np.empty(cin1, dtype=np.int64)
        in_pos[seg.lead] = np.arange(cin1)
    in_class = col_of_group[in_pos // (cin1 // g1)]
    return Quotient(
        q=q,
        out_class=out_class,
        in_class=in_class,
        row_size=np.bincount(out_class, minlength=q.nrows),
        col_size=np.bincount(in_class, minlength=q.ncols),
        steps=steps,
    )


def expand(quot: Quotient):
    """The dense matrix p[o, i] of a quotient (small chains and tests only)."""
    return quot.q.toarray()[quot.out_class][:, quot.in_class]
