"""Exact path counts through a chain of group convolutions and permutations.

The number of paths p(o, i) from input channel i to output channel o is the (o, i) entry of the
product of the layers' 0/1 connectivity matrices. A group conv's matrix is block-all-ones (output
channel o of group a sees every input channel of group a), a permutation is an index map, so each
layer is applied to the rows of the running matrix without any matrix product.
"""

from __future__ import annotations

from typing import Sequence

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute

# The dense matrix holds cout × cin int64 entries; beyond this many we refuse (use analyze()).
MAX_DENSE_ENTRIES = 1 << 26


def chain_io(chain: Sequence) -> tuple[int, int]:
    """(cin of the first layer, cout of the last layer) of a non-empty concrete chain."""
    if not chain:
        raise IGCError("empty chain: nothing to check")
    first, last = chain[0], chain[-1]
    cin = int(first.cin if isinstance(first, GroupConv) else first.width)
    cout = int(last.cout if isinstance(last, GroupConv) else last.width)
    return cin, cout


def apply_layer(rows, layer):
    """The running matrix (rows = channels at the layer's input) after one layer.

    Works on any 2-D numpy array whose rows are indexed by channel: a conv sums the rows of each
    input group and repeats the sum for every output channel of that group; a permutation gathers.
    """
    import numpy as np

    if isinstance(layer, GroupConv):
        cin, cout, g = int(layer.cin), int(layer.cout), int(layer.groups)
        if rows.shape[0] != cin:
            raise IGCError(f"{layer.name}: expects {cin} channels, the chain gives {rows.shape[0]}")
        sums = rows.reshape(g, cin // g, rows.shape[1]).sum(axis=1)
        return np.repeat(sums, cout // g, axis=0)
    if isinstance(layer, Permute):
        if rows.shape[0] != int(layer.width):
            raise IGCError(f"{layer.name}: permutes {layer.width} channels, the chain gives {rows.shape[0]}")
        return rows[np.asarray(layer.index_map(), dtype=np.int64)]
    raise IGCError(f"unknown layer type {type(layer).__name__}")


def path_matrix(chain) -> "numpy.ndarray":
    """p[o, i] = number of paths from input channel i to output channel o, as int64; `chain` is
    a spec string ('igcv1:L=4,M=8'), a Block or a chain of GroupConv/Permute layers.

    Shape (cout of the last conv, cin of the first conv). `Permute.index_map()` means output
    channel j is input channel idx[j]. Refuses (IGCError) matrices over MAX_DENSE_ENTRIES
    entries and counts that could overflow int64; `analyze()` handles large chains.
    """
    import numpy as np

    from igcdesign.families import chain_of

    chain = chain_of(chain)
    cin, cout = chain_io(chain)
    widest = max(max(int(layer.cin), int(layer.cout)) if isinstance(layer, GroupConv) else int(layer.width)
                 for layer in chain)
    if widest * cin > MAX_DENSE_ENTRIES:
        raise IGCError(
            f"dense path matrix of {widest:,}×{cin:,} entries is too large (limit {MAX_DENSE_ENTRIES:,}); "
            "use analyze() for the verdict"
        )
    if path_bound(chain) >= 1 << 62:
        raise IGCError("path counts of this chain may overflow 64-bit integers")
    rows = np.eye(cin, dtype=np.int64)
    for layer in chain:
        rows = apply_layer(rows, layer)
    return rows


def path_bound(chain: Sequence) -> int:
    """An upper bound on any p(o, i): the product of fan-ins cin/groups of every conv but the first."""
    bound, seen_conv = 1, False
    for layer in chain:
        if isinstance(layer, GroupConv):
            if seen_conv:
                bound *= int(layer.cin) // int(layer.groups)
            seen_conv = True
    return bound


def classify(paths_min: int, paths_max: int) -> str:
    """docs/conventions.md §2: strict (all 1), relaxed (all equal ≥ 2), redundant (all ≥ 1), sparse (some 0)."""
    if paths_min == 0:
        return "sparse"
    if paths_min == paths_max:
        return "strict" if paths_min == 1 else "relaxed"
    return "redundant"
