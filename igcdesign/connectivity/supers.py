"""Super-channels of a relaxed chain (IGCV3, Sun et al. 2018): the partition of every internal
layer into C_s classes between which the complementary condition holds.

Two channels of an internal interface belong to the same super-channel when they are reached by
the same inputs with the same path counts (their forward class) and reach the same outputs with
the same path counts (their backward class). Forward classes come from the quotient of the
chain, backward classes from the quotient of the transposed chain.
"""

from __future__ import annotations

from typing import Sequence

from igcdesign.layers import GroupConv, Permute


def transpose_chain(chain: Sequence) -> tuple:
    """The chain whose path matrix is the transpose: layers reversed, convs cout→cin, permutations inverted."""
    import numpy as np

    out = []
    for layer in reversed(tuple(chain)):
        if isinstance(layer, GroupConv):
            out.append(GroupConv(layer.cout, layer.cin, layer.groups, layer.k, name=layer.name))
        else:
            idx = np.asarray(layer.index_map(), dtype=np.int64)
            inv = np.empty_like(idx)
            inv[idx] = np.arange(len(idx))
            out.append(Permute(layer.width, perm=tuple(inv.tolist()), name=layer.name))
    return tuple(out)


def interface_super_channels(chain: Sequence, forward) -> list[dict]:
    """Per internal interface (after conv l, l < L): C_s and channels per super-channel.

    `forward` is the chain's Quotient. Returns dicts {after, super_channels, size_min, size_max}.
    """
    import numpy as np

    from igcdesign.connectivity.quotient import quotient, split_chain

    seg = split_chain(chain)
    backward = quotient(transpose_chain(chain))
    n = len(seg.convs)
    rows = []
    for l in range(n - 1):
        conv, nxt = seg.convs[l], seg.convs[l + 1]
        width = int(conv.cout)
        j = np.arange(width, dtype=np.int64)
        fwd = forward.steps[l].group_class[j // (width // int(conv.groups))]
        pos = j
        if seg.gaps[l] is not None:
            pos = np.empty(width, dtype=np.int64)
            pos[seg.gaps[l]] = j
        bwd = backward.steps[n - 2 - l].group_class[pos // (width // int(nxt.groups))]
        _, sizes = np.unique(fwd * (int(bwd.max()) + 1) + bwd, return_counts=True)
        rows.append({
            "after": conv.name,
            "width": width,
            "super_channels": int(len(sizes)),
            "size_min": int(sizes.min()),
            "size_max": int(sizes.max()),
        })
    return rows
