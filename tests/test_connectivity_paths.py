"""path_matrix against brute force: products of explicit 0/1 connectivity matrices."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from igcdesign.connectivity import path_matrix
from igcdesign.layers import GroupConv, Permute
from igcdesign.families import parse_block


def dense_matrix(layer) -> np.ndarray:
    """The 0/1 matrix of one layer, built entry by entry from its definition."""
    if isinstance(layer, GroupConv):
        cin, cout, g = layer.cin, layer.cout, layer.groups
        m = np.zeros((cout, cin), dtype=np.int64)
        for o in range(cout):
            for i in range(cin):
                m[o, i] = (o // (cout // g)) == (i // (cin // g))
        return m
    width = layer.width
    if layer.perm is not None:
        idx = list(layer.perm)
    else:  # view (g, C/g), transpose, flatten: written out with numpy, not via the code under test
        idx = list(np.arange(width).reshape(layer.groups, width // layer.groups).T.reshape(-1))
    m = np.zeros((width, width), dtype=np.int64)
    for j in range(width):
        m[j, idx[j]] = 1
    return m


def brute_force(chain) -> np.ndarray:
    first = chain[0]
    result = np.eye(first.cin if isinstance(first, GroupConv) else first.width, dtype=np.int64)
    for layer in chain:
        result = dense_matrix(layer) @ result
    return result


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def random_chains(draw, max_convs: int = 4):
    """Random widths (products of small factors), groups dividing both sides, every gap kind."""
    n = draw(st.integers(1, max_convs))
    widths = [draw(st.sampled_from([1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24])) for _ in range(n + 1)]
    chain = []
    for i in range(n):
        common = [d for d in divisors(widths[i]) if widths[i + 1] % d == 0]
        g = draw(st.sampled_from(common))
        chain.append(GroupConv(widths[i], widths[i + 1], g, draw(st.sampled_from([1, 3]))))
        if i == n - 1 and not draw(st.booleans()):
            break
        kind = draw(st.sampled_from(["s", "i", "int", "explicit"]))
        w = widths[i + 1]
        if kind == "s":
            chain.append(Permute(w, g))
        elif kind == "int":
            chain.append(Permute(w, draw(st.sampled_from(divisors(w)))))
        elif kind == "explicit":
            chain.append(Permute(w, perm=tuple(draw(st.permutations(range(w))))))
    return tuple(chain)


def _block_perm(draw, blocks: int, per: int) -> Permute:
    """A permutation of blocks·per channels that moves whole blocks and shuffles inside each."""
    order = draw(st.permutations(range(blocks)))
    perm = []
    for target in range(blocks):
        inner = draw(st.permutations(range(per)))
        perm.extend(order[target] * per + t for t in inner)
    return Permute(blocks * per, perm=tuple(perm))


@st.composite
def component_chains(draw, max_convs: int = 3):
    """Chains that fall apart into at least `blocks` independent components: every interface is
    split into equal blocks, every conv's groups lie inside blocks, and every gap keeps blocks
    whole (identity, a channel-wise shuffle, or a permutation of blocks and of channels in a block)."""
    blocks = draw(st.integers(2, 8))
    n = draw(st.integers(1, max_convs))
    per = [draw(st.sampled_from([1, 2, 3, 4])) for _ in range(n + 1)]  # channels per block
    chain = []
    for i in range(n):
        inside = [d for d in divisors(per[i]) if per[i + 1] % d == 0]
        g = blocks * draw(st.sampled_from(inside))
        chain.append(GroupConv(blocks * per[i], blocks * per[i + 1], g, draw(st.sampled_from([1, 3]))))
        kind = draw(st.sampled_from(["i", "block", "channelwise"] if i < n - 1 else ["none", "block"]))
        w = blocks * per[i + 1]
        if kind == "block":
            chain.append(_block_perm(draw, blocks, per[i + 1]))
        elif kind == "channelwise":
            chain.append(Permute(w, w))  # a shuffle with one channel per group leaves every channel in place
    return tuple(chain)


@settings(max_examples=150, deadline=None)
@given(st.one_of(random_chains(), component_chains()))
def test_path_matrix_equals_product_of_connectivity_matrices(chain):
    assert np.array_equal(path_matrix(chain), brute_force(chain))


def test_family_examples_by_hand():
    # IGCV1 and IGCV2 with prod K = C are strictly complementary (docs/conventions.md §1): all ones.
    assert (path_matrix(parse_block("igcv1:L=2,M=3").chain) == 1).all()
    assert (path_matrix(parse_block("igcv2:K=1x2x2").chain) == 1).all()
    # IGCV3: every pair joined by C_int / (G1·G2) = 8 / 4 = 2 paths.
    assert (path_matrix(parse_block("igcv3:C=4,t=2,G1=2,G2=2").chain) == 2).all()
    # Two 2-group convs without a shuffle: block diagonal, 2 paths inside a block.
    expected = np.kron(np.eye(2, dtype=np.int64), np.full((2, 2), 2))
    assert np.array_equal(path_matrix(parse_block("chain:W=4/4/4,G=2/2,P=i").chain), expected)
