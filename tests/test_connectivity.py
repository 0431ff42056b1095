"""analyze(): verdicts, counts, super-channels and fixes against brute-force path matrices."""

from __future__ import annotations

import itertools
import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.connectivity import analyze, classify, fixes
from igcdesign.connectivity.perms import with_perms
from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute
from igcdesign.families import parse_block
from test_connectivity_paths import brute_force, component_chains, dense_matrix, random_chains

# Small chains of every kind, and chains that fall apart into many independent components.
any_chains = st.one_of(random_chains(4), component_chains(3))


def brute_verdict(p: np.ndarray) -> str:
    """docs/conventions.md §2 written out on the matrix itself."""
    if (p == 0).any():
        return "sparse"
    if (p == p.flat[0]).all():
        return "strict" if p.flat[0] == 1 else "relaxed"
    return "redundant"


@st.composite
def chains_with_lead(draw):
    chain = draw(any_chains)
    if draw(st.booleans()):
        w = chain[0].cin
        chain = (Permute(w, perm=tuple(draw(st.permutations(range(w))))),) + chain
    return chain


@settings(max_examples=150, deadline=None)
@given(chains_with_lead())
def test_analyze_matches_brute_force(chain):
    p = brute_force(chain)
    r = analyze(chain, matrix=True, fix=False)
    assert np.array_equal(r.matrix, p)
    assert r.paths_min == int(p.min()) and r.paths_max == int(p.max())
    assert r.disconnected_pairs == int((p == 0).sum())
    assert r.over_connected_pairs == int((p > 1).sum())
    assert r.verdict == brute_verdict(p)
    assert r.exit_code == (0 if r.verdict in ("strict", "relaxed") else 1)
    assert sum(n for _, n in r.histogram) == p.size


def brute_super_channels(chain) -> set[int]:
    """Per internal interface: distinct (paths-from-inputs row, paths-to-outputs column) pairs."""
    convs = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv)]
    counts = set()
    for cut in convs[:-1]:
        left = brute_force(chain[: cut + 1])
        right = np.eye(chain[cut].cout, dtype=np.int64)
        for layer in chain[cut + 1:]:
            right = dense_matrix(layer) @ right
        counts.add(len({(tuple(left[j]), tuple(right[:, j])) for j in range(left.shape[0])}))
    return counts


def brute_layers(chain) -> list[tuple[int, int, int, bool]]:
    """Per conv, from prefix path matrices: (reach min, reach max, paths max, flow cut by the gap before).

    Reach = channels after the conv with a path from one input channel. The gap before conv l+1
    cuts the flow when, for some input, the channels it reaches after conv l land in fewer of
    conv l+1's groups than they could: min(groups, reached channels).
    """
    at = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv)]
    rows = []
    for n, i in enumerate(at):
        p = brute_force(chain[: i + 1])
        reach = (p > 0).sum(axis=0)
        cut = False
        if n:
            before = brute_force(chain[: at[n - 1] + 1]) > 0
            gap = chain[at[n - 1] + 1: i]
            moved = (brute_force(gap) if gap else np.eye(len(before), dtype=np.int64)) @ before
            conv = chain[i]
            group = np.arange(conv.cin) // (conv.cin // conv.groups)
            for col in range(moved.shape[1]):
                touched = len(set(group[moved[:, col] > 0].tolist()))
                cut |= touched < min(conv.groups, int(before[:, col].sum()))
        rows.append((int(reach.min()), int(reach.max()), int(p.max()), cut))
    return rows


@settings(max_examples=120, deadline=None)
@given(chains_with_lead())
def test_layer_rows_match_brute_force(chain):
    r = analyze(chain, fix=False)
    got = [(row["reach_min"], row["reach_max"], row["paths_max"], row["merges_reached_groups"])
           for row in r.layers if row["kind"] == "conv"]
    assert got == brute_layers(chain)


@settings(max_examples=80, deadline=None)
@given(any_chains)
def test_super_channels_match_brute_force(chain):
    r = analyze(chain, fix=False)
    if r.verdict != "relaxed":
        assert r.super_channels is None
        return
    counts = brute_super_channels(chain)
    assert r.super_channels == (counts.pop() if len(counts) == 1 else None)


@settings(max_examples=60, deadline=None)
@given(st.one_of(random_chains(3), component_chains(3)), st.randoms(use_true_random=False))
def test_explicit_perms_match_brute_force(chain, rnd):
    widths = [layer.cout for layer in chain if isinstance(layer, GroupConv)][:-1]
    perms = []
    for w in widths:
        perm = list(range(w))
        rnd.shuffle(perm)
        perms.append(perm)
    expected = brute_force(with_perms(chain, [tuple(p) for p in perms]))
    r = analyze(chain, perms=perms, matrix=True, fix=False)
    assert np.array_equal(r.matrix, expected)


@settings(max_examples=40, deadline=None)
@given(random_chains(3))
def test_fixes_are_verified_complementary(chain):
    r = analyze(chain)
    if r.verdict in ("strict", "relaxed"):
        assert r.fix is None
        return
    fix = r.fix
    if fix["exists"]:
        fixed = analyze(fix["spec"], fix=False)
        assert fixed.verdict == fix["verdict"] and fixed.verdict in ("strict", "relaxed")
        assert fixed.params == fix["params"]
        assert fix["params_proposal"] == r.params


@settings(max_examples=25, deadline=None)
@given(st.one_of(random_chains(3), component_chains(3)))
def test_fix_is_the_one_brute_force_verdicts_give(chain):
    """The fix search run with brute-force verdicts picks the same fix, so the fix is exact too."""
    r = analyze(chain)
    if r.fix is None:
        assert brute_verdict(brute_force(chain)) in ("strict", "relaxed")
        return
    with mock.patch.object(fixes, "_verdict", lambda c: brute_verdict(brute_force(c))):
        assert fixes.suggest_fix(chain, None, r) == r.fix


# --- the papers' blocks (closed forms from docs/conventions.md §1) --------------------------

@pytest.mark.parametrize("spec", ["igcv1:L=4,M=8", "igcv1:L=2,M=16,k=5", "igcv2:K=1x4x4x4",
                                  "igcv2:K=2x3x5", "regular:C=16", "dwsep:C=32"])
def test_complementary_blocks_are_strict(spec):
    r = analyze(spec)
    assert (r.verdict, r.paths_min, r.paths_max, r.disconnected_pairs, r.fix) == ("strict", 1, 1, 0, None)


@pytest.mark.parametrize("C,t,G1,G2", [(24, 6, 2, 2), (32, 6, 4, 2), (16, 4, 1, 4), (1024, 6, 4, 8)])
def test_igcv3_is_relaxed_with_G1_G2_super_channels(C, t, G1, G2):
    r = analyze(f"igcv3:C={C},t={t},G1={G1},G2={G2}")
    paths = t * C // (G1 * G2)  # C_int / (G1·G2), Sun et al. 2018
    expected = "relaxed" if paths > 1 else "strict"
    assert (r.verdict, r.paths_min, r.paths_max) == (expected, paths, paths)
    assert r.super_channels == (G1 * G2 if expected == "relaxed" else None)


def test_igcv2_product_below_width_is_sparse_and_fixed():
    r = analyze("igcv2:C=64,K=1x4x4")
    # ∏K = 16: each input reaches 16 of the 64 outputs, so 64·48 pairs are cut.
    assert (r.verdict, r.paths_min, r.paths_max, r.disconnected_pairs) == ("sparse", 0, 1, 64 * 48)
    assert r.igcv2["prod_K"] == 16 and r.igcv2["condition"] is False
    assert r.fix["exists"] and r.fix["kind"] == "branch sizes"
    assert math.prod(parse_block(r.fix["spec"]).config["K"]) == 64
    assert analyze(r.fix["spec"]).verdict == "strict"


def test_igcv2_optimum_is_the_cheapest_factorization():
    r = analyze("igcv2:K=1x2x32")
    C = 64
    divs = [d for d in range(1, C + 1) if C % d == 0]
    for L in (2, 3, 4):
        best = min(parse_block("igcv2:K=" + "x".join(map(str, K))).params()
                   for K in itertools.product(divs, repeat=L) if math.prod(K) == C)
        if L == 3:
            assert r.igcv2["optimum_same_L"]["params"] == best
        assert r.igcv2["optimum"]["params"] <= best
    assert r.igcv2["params"] == parse_block("igcv2:K=1x2x32").params()


def test_identity_gap_is_sparse_and_the_interleave_fixes_it():
    r = analyze("chain:W=16/16/16,G=4/4,P=i")
    # block diagonal: 4 blocks of 4×4 with 4 paths each → 16·16 − 4·16 pairs disconnected
    assert (r.verdict, r.paths_min, r.paths_max, r.disconnected_pairs) == ("sparse", 0, 4, 256 - 64)
    assert r.fix["kind"] == "permutations" and r.fix["spec"].endswith("P=s") and r.fix["verdict"] == "strict"
    assert any(row.get("merges_reached_groups") for row in r.layers)


def test_redundant_chain_by_hand():
    # conv 1: groups A={0,1,2}, B={3,4,5}; no shuffle; conv 2: pairs {0,1},{2,3},{4,5}; conv 3: halves.
    # Output o in the first half sums conv-2 outputs 0, 1 (each: 2 paths from every channel of A)
    # and 2 (1 path from A, 1 from B): p(o, A) = 2 + 2 + 1 = 5, p(o, B) = 1; symmetric for the other half.
    r = analyze("chain:W=6/6/6/6,G=2/3/2,P=i")
    assert (r.verdict, r.paths_min, r.paths_max, r.disconnected_pairs) == ("redundant", 1, 5, 0)
    assert r.histogram == [(1, 18), (5, 18)]
    assert r.fix["exists"] and analyze(r.fix["spec"]).verdict in ("strict", "relaxed")


def test_absurd_width_is_refused():
    with pytest.raises(IGCError, match="limit"):
        analyze("igcv2:K=1x100000x100000")
    with pytest.raises(IGCError):
        analyze("chain:W=10000000000/10000000000,G=1")


def test_classify_table():
    assert [classify(*mm) for mm in ((1, 1), (3, 3), (1, 4), (0, 2))] == ["strict", "relaxed", "redundant", "sparse"]
