"""Path counts of large chains on class-level quotient matrices, without a dense C×C product.

A group conv with g groups is U_out·U_inᵀ (group-indicator matrices) and a permutation is an index
map, so p(o, i) depends only on the group of o in the last conv and the group of i in the first:
p = U_out · (T_{L-1} ⋯ T_1) · U_inᵀ, where T_l[a, b] counts the channels of conv l's group b that
the gap permutation puts into conv l+1's group a. We multiply the T_l out from the input side, and
after every step merge identical rows (groups with the same path profile) and identical columns
(input groups that no later layer tells apart). The matrix we hold is then (row classes × column
classes), e.g. 1×1 for a strict IGCV2 chain of any width.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute

# Limits (documented in `igcdesign check --help`): widths at any interface, and the size of the
# class-level matrix we are willing to hold (int64 entries; 2^25 entries = 256 MiB).
MAX_WIDTH = 1 << 22
MAX_QUOTIENT_ENTRIES = 1 << 25
_CHUNK = 1 << 23  # entries per vectorised step, to bound temporaries


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
    """p(o, i) = q[out_class[o], in_class[i]] for the whole chain."""

    q: object
    out_class: object
    in_class: object
    row_size: object = field(default=None)
    col_size: object = field(default=None)
    steps: list[Step] = field(default_factory=list)


def _dedup_rows(q):
    """(distinct rows, class of each row): rows hashed by two random projections, then verified.

    Hashing keeps this linear in the size of q (sorting whole rows is far slower); the check
    that every row equals its class representative makes the result exact, and a collision
    falls back to the lexicographic sort.
    """
    import numpy as np

    rng = np.random.default_rng(0x16C)
    proj = rng.integers(1, 1 << 62, size=(q.shape[1], 2), dtype=np.int64)
    with np.errstate(over="ignore"):
        h = q @ proj  # wraps modulo 2^64: still a hash
    keys = np.ascontiguousarray(h).view(np.dtype((np.void, 16))).reshape(-1)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    uniq = q[first]
    if not np.array_equal(uniq[inverse], q):
        uniq, inverse = np.unique(q, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
    return uniq, inverse


def _check_size(rows: int, cols: int, where: str) -> None:
    if rows * cols > MAX_QUOTIENT_ENTRIES:
        raise IGCError(
            f"at {where} the chain has {rows:,}×{cols:,} distinct path profiles, beyond the "
            f"{MAX_QUOTIENT_ENTRIES:,}-entry limit of check"
        )


def _gap_counts(prev_class, prev_groups, width, idx, groups):
    """(a, k, n): n channels of conv l+1's group a come from conv l groups of row class k."""
    import numpy as np

    src = np.arange(width, dtype=np.int64) if idx is None else idx
    k = prev_class[src // (width // prev_groups)]
    a = np.arange(width, dtype=np.int64) // (width // groups)
    nk = int(prev_class.max()) + 1
    keys, counts = np.unique(a * nk + k, return_counts=True)
    return keys // nk, keys % nk, counts.astype(np.int64)


def _first_product(a, k, n, groups, ncols):
    """Q' = N (the gap count matrix itself, the previous Q being the identity), columns merged."""
    import numpy as np

    # Column k's signature: its sorted (a, n) entries, padded; identical signatures merge.
    order = np.lexsort((a, k))
    a, k, n = a[order], k[order], n[order]
    nnz = np.bincount(k, minlength=ncols)
    width = int(nnz.max())
    starts = np.concatenate(([0], np.cumsum(nnz)[:-1]))
    slot = np.arange(len(k)) - starts[k]
    sig = np.full((ncols, 2 * width), -1, dtype=np.int64)
    sig[k, 2 * slot] = a
    sig[k, 2 * slot + 1] = n
    _, col_class = _dedup_rows(sig)
    ncls = int(col_class.max()) + 1
    _check_size(groups, ncls, "the second conv")
    q = np.zeros((groups, ncls), dtype=np.int64)
    q[a, col_class[k]] = n
    return q, col_class


def _product(q, a, k, n, groups, float_exact):
    """Q'[a] = Σ n·Q[k] over the gap counts (a sorted).

    Sparse gaps (few row classes per group) gather and add rows in bounded chunks; dense gaps
    multiply the count matrix N by Q with BLAS in float64, which is exact when every path
    count (hence every partial sum) stays below 2^53 (`float_exact`).
    """
    import numpy as np

    ncols, nrows = q.shape[1], q.shape[0]
    _check_size(groups, ncols, "a conv")
    if float_exact and groups * nrows <= 16 * len(a) and groups * nrows <= MAX_QUOTIENT_ENTRIES:
        dense = np.zeros((groups, nrows), dtype=np.float64)
        dense[a, k] = n
        return np.rint(dense @ q.astype(np.float64)).astype(np.int64)
    out = np.zeros((groups, ncols), dtype=np.int64)
    step = max(1, _CHUNK // max(ncols, 1))
    for s in range(0, len(a), step):
        aa, kk, nn = a[s:s + step], k[s:s + step], n[s:s + step]
        contrib = q[kk] * nn[:, None]
        heads = np.flatnonzero(np.concatenate(([True], aa[1:] != aa[:-1])))
        out[aa[heads]] += np.add.reduceat(contrib, heads, axis=0)
    return out


def _reach(q, group_class, per_group):
    """Per column class: output channels of this conv reached (count of groups × channels)."""
    import numpy as np

    groups_per_class = np.bincount(group_class, minlength=q.shape[0])
    return ((q > 0).T.astype(np.int64) @ groups_per_class) * per_group


def quotient(chain: Sequence) -> Quotient:
    """The class-level path-count matrix of a concrete chain (see module docstring)."""
    import numpy as np

    from igcdesign.connectivity.paths import path_bound

    seg = split_chain(chain)
    if path_bound(chain) >= 1 << 62:
        raise IGCError("path counts of this chain may overflow 64-bit integers")
    float_exact = path_bound(chain) < 1 << 53
    first = seg.convs[0]
    g1, cin1, cout1 = int(first.groups), int(first.cin), int(first.cout)
    col_of_group = np.arange(g1, dtype=np.int64)  # column class of each conv-1 input group
    group_class = np.arange(g1, dtype=np.int64)  # row class of each group of the current conv
    q = None  # None: the identity on g1 classes
    steps = [Step(first, group_class, cout1 // g1, cout1 // g1, 1, False)]
    prev_groups, width = g1, cout1
    prev_reach = np.full(g1, cout1 // g1, dtype=np.int64)
    for conv, idx in zip(seg.convs[1:], seg.gaps):
        g, cin, cout = int(conv.groups), int(conv.cin), int(conv.cout)
        a, k, n = _gap_counts(group_class, prev_groups, cin, idx, g)
        if q is None:
            q, merged = _first_product(a, k, n, g, g1)
            col_of_group = merged[col_of_group]
            prev_reach = np.bincount(merged, weights=prev_reach, minlength=q.shape[1]) // np.bincount(merged)
        else:
            q = _product(q, a, k, n, g, float_exact)
        # Columns no later layer can tell apart merge for good.
        q_t, merged = _dedup_rows(q.T)
        if q_t.shape[0] < q.shape[1]:
            q = np.ascontiguousarray(q_t.T)
            col_of_group = merged[col_of_group]
            prev_reach = np.bincount(merged, weights=prev_reach, minlength=q.shape[1]).astype(np.int64) // np.bincount(merged)
        touched = _reach(q, np.arange(g), 1)
        q, group_class = _dedup_rows(q)
        per_group = cout // g
        reach = touched * per_group
        ideal = np.minimum(g, prev_reach.astype(np.int64))
        steps.append(Step(conv, group_class, int(reach.min()), int(reach.max()), int(q.max()),
                          bool((touched < ideal).any())))
        prev_groups, width, prev_reach = g, cout, reach
    if q is None:
        q = np.eye(g1, dtype=np.int64)
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
        row_size=np.bincount(out_class, minlength=q.shape[0]),
        col_size=np.bincount(in_class, minlength=q.shape[1]),
        steps=steps,
    )


def expand(quot: Quotient):
    """The dense matrix p[o, i] of a quotient (small chains and tests only)."""
    return quot.q[quot.out_class][:, quot.in_class]
