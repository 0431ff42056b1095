"""widest against brute force: every search is exact on small budgets, and on a few large ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igcdesign.connectivity import analyze
from igcdesign.families import FAMILIES
from igcdesign.families.base import DesignOptions
from igcdesign.families.igcv2 import branches as igcv2_branches
from igcdesign.families.integers import largest_at_most
from igcdesign.layers import chain_params
from igcdesign.rules import acceptor
from igcdesign.search import widest_all, widest_family


def params(family, **config):
    return chain_params(FAMILIES[family].chain(**config))


def igcv1_optimum(budget, k):
    config = FAMILIES["igcv1"].widest_config(budget, k, DesignOptions(), acceptor(FAMILIES["igcv1"], "checked"))
    return (config["L"], config["M"]) if config else None


def igcv2_widest_width(budget, k):
    widths = FAMILIES["igcv2"].walk(budget, k)
    return widths[0] if widths else 0


def brute_igcv1(budget, k):
    best = None
    for M in range(1, budget + 1):
        if params("igcv1", L=1, M=M, k=k) > budget:
            break
        for L in range(1, budget + 1):
            p = params("igcv1", L=L, M=M, k=k)
            if p > budget:
                break
            key = (-(L * M), p, L + M, L)
            if best is None or key < best[0]:
                best = (key, (L, M))
    return best[1] if best else None


def multiplicative_partitions(n, smallest=2):
    """Every way to write n as a product of factors ≥ 2 in non-decreasing order."""
    if n == 1:
        yield ()
        return
    for d in range(smallest, n + 1):
        if n % d == 0:
            for rest in multiplicative_partitions(n // d, d):
                yield (d, *rest)


def brute_igcv2_width(budget, k):
    """Widest C over every channel-wise IGCV2 chain with 1×1 branch sizes multiplying to C."""
    best = 0
    for C in range(1, budget + 1):
        if params("igcv2", K=(1, 1), C=1, k=k) > budget:
            break
        if C * k * k > budget:
            break
        parts = list(multiplicative_partitions(C)) if C > 1 else [(1,)]
        cheapest = min(params("igcv2", K=(1, *p), C=C, k=k) for p in parts)
        if cheapest <= budget:
            best = C
    return best


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(1, 2500), k=st.sampled_from([1, 3, 5]))
def test_igcv1_optimum_matches_brute_force(budget, k):
    assert igcv1_optimum(budget, k) == brute_igcv1(budget, k)


@settings(max_examples=40, deadline=None)
@given(budget=st.integers(1, 3000), k=st.sampled_from([1, 3, 5]))
def test_igcv2_width_matches_every_factorisation(budget, k):
    assert igcv2_widest_width(budget, k) == brute_igcv2_width(budget, k)


def sopfr_table(limit):
    """Sum of prime factors with multiplicity for 0..limit, by a smallest-prime-factor sieve."""
    spf = np.zeros(limit + 1, dtype=np.int64)
    for p in range(2, limit + 1):
        if spf[p] == 0:
            spf[p::p][spf[p::p] == 0] = p
    sop = np.zeros(limit + 1, dtype=np.int64)
    for n in range(2, limit + 1):
        sop[n] = spf[n] + sop[n // spf[n]]
    return sop


@pytest.fixture(scope="module")
def sopfr():
    return sopfr_table(200_000)


@settings(max_examples=25, deadline=None)
@given(budget=st.integers(3000, 1_500_000), k=st.sampled_from([1, 3, 7]))
def test_igcv2_width_matches_a_full_scan_on_larger_budgets(sopfr, budget, k):
    C = np.arange(1, len(sopfr))
    cost = C * (k * k + np.maximum(sopfr[1:], 1))
    fits = C[cost <= budget]
    assert igcv2_widest_width(budget, k) == int(fits.max())


@pytest.mark.parametrize("C", [1, 2, 4, 8, 12, 64, 97, 144, 720, 26244])
def test_igcv2_branches_are_the_cheapest_fewest_factorisation(C):
    K = igcv2_branches(C)
    assert math.prod(K) == C
    parts = list(multiplicative_partitions(C)) if C > 1 else [(1,)]
    best = min(parts, key=lambda p: (sum(p), len(p)))
    assert (sum(K), len(K)) == (sum(best), len(best))


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(1, 200_000), k=st.sampled_from([1, 3]), t=st.integers(1, 8),
       g1=st.sampled_from([1, 2, 4]), g2=st.sampled_from([1, 2, 3]))
def test_igcv3_paper_rule_matches_scan(budget, k, t, g1, g2):
    """--rule paper: the widest C that is a multiple of G1·G2 (the IGCV3 paper's super-channels)."""
    best = 0
    C = g1 * g2
    while params("igcv3", C=C, t=t, G1=g1, G2=g2, k=k, Cout=C) <= budget:
        best = C
        C += g1 * g2
    result = widest_family("igcv3", budget, k, DesignOptions(expansion=t, g1=g1, g2=g2), rule="paper")
    assert (result.width or 0) == best


def brute_igcv3_checked(budget, k, t, g1, g2):
    """The widest C (C_out = C) whose block is valid and strict or relaxed by exact path counts."""
    best = 0
    C = 1
    while t * C * (C * g2 + k * k * g1 * g2 + C * g1) <= budget * g1 * g2:  # t·C·(C/G1 + S + C/G2)
        if C % g1 == 0 and C % g2 == 0 and analyze(f"igcv3:C={C},t={t},G1={g1},G2={g2},k={k}", fix=False).verdict in ("strict", "relaxed"):
            best = C
        C += 1
    return best


@settings(max_examples=40, deadline=None)
@given(budget=st.integers(1, 60_000), k=st.sampled_from([1, 3]), t=st.integers(1, 6),
       g1=st.sampled_from([1, 2, 3, 4]), g2=st.sampled_from([1, 2, 3, 4]))
def test_igcv3_checked_rule_matches_brute_force_with_analyze(budget, k, t, g1, g2):
    """The default rule: every C the group convs divide, kept when check says strict or relaxed."""
    result = widest_family("igcv3", budget, k, DesignOptions(expansion=t, g1=g1, g2=g2))
    assert (result.width or 0) == brute_igcv3_checked(budget, k, t, g1, g2)


def test_igcv3_widest_at_one_million_is_c_402():
    """Issue 9: C = 402 (991,332 params) is valid and relaxed, wider than the old C = 400."""
    result = widest_all(10**6, 3, ["igcv3"])[0]
    assert (result.width, result.params) == (402, 991_332)
    assert analyze(result.spec).verdict == "relaxed"
    paper = widest_all(10**6, 3, ["igcv3"], rule="paper")[0]
    assert (paper.width, paper.params) == (400, 981_600)


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(1, 10**6), k=st.sampled_from([1, 3, 5]))
def test_baselines_match_closed_forms(budget, k):
    by_family = {r.family: r for r in widest_all(budget, k, ["regular", "dwsep"])}
    C = math.isqrt(budget // (k * k))  # largest C with S·C² ≤ T
    assert (by_family["regular"].width or 0) == C
    D = 0
    while (D + 1) * (D + 1 + k * k) <= budget:
        D += 1
    assert (by_family["dwsep"].width or 0) == D


@settings(max_examples=100, deadline=None)
@given(budget=st.integers(0, 10**12), guess=st.floats(-1e6, 1e7, allow_nan=False))
def test_largest_at_most_is_exact_whatever_the_guess(budget, guess):
    x = largest_at_most(lambda v: v * v, budget, guess)
    assert x == math.isqrt(budget)


def test_issue_example_one_million_params():
    """The foundation issue's worked example: T = 10⁶, k = 3."""
    by_family = {r.family: r for r in widest_all(10**6, 3)}
    v1 = by_family["igcv1"]
    assert (v1.config["L"], v1.config["M"], v1.width, v1.params) == (168, 18, 3024, 997_920)
    assert round(v1.bound["width"], 2) == 3028.53
    assert round(v1.bound["L"], 2) == 165.10 and round(v1.bound["M"], 2) == 18.34
    assert by_family["regular"].width == 333


@pytest.mark.parametrize("budget", [10**9, 10**12, 10**15, 10**18])
def test_large_budgets_are_consistent(budget):
    """At large budgets the integer optimum fits, sits under its bound, and no neighbour M beats it."""
    results = {r.family: r for r in widest_all(budget, 3)}
    for r in results.values():
        assert r.params <= budget
        assert r.width <= r.bound["width"] + 1e-6 * r.bound["width"]
    L, M = results["igcv1"].config["L"], results["igcv1"].config["M"]
    for m in range(max(1, M - 50), M + 50):
        lo, hi = 1, budget
        while lo < hi:  # brute-force bisection for the largest L at this M
            mid = (lo + hi + 1) // 2
            if params("igcv1", L=mid, M=m, k=3) <= budget:
                lo = mid
            else:
                hi = mid - 1
        assert lo * m <= L * M
    K = results["igcv2"].config["K"]
    assert math.prod(K) == results["igcv2"].width and K[0] == 1


def test_paper_table1_widest_at_4672():
    """IGCV1 Table 1 (i), igcdesign/data/igcv1_table1_budget4672.csv: bold row L=28, M=3."""
    v1 = widest_all(4672, 3, ["igcv1"])[0]
    assert (v1.config["L"], v1.config["M"], v1.width, v1.params) == (28, 3, 84, 4620)


@settings(max_examples=40, deadline=None)
@given(budget=st.integers(10, 3000), k=st.sampled_from([1, 3]), percent=st.integers(0, 30))
def test_near_widest_igcv1_lists_exactly_the_wide_enough_blocks(budget, k, percent):
    from igcdesign.search import near_widest

    fraction = percent / 100
    rows = near_widest(budget, k, "igcv1", fraction)
    best = brute_igcv1(budget, k)
    if best is None:
        assert rows == []
        return
    floor_width = math.ceil(best[0] * best[1] * (1 - fraction))
    expected = {(L, M) for M in range(1, budget + 1) for L in range(1, budget // M + 1)
                if L * M >= floor_width and params("igcv1", L=L, M=M, k=k) <= budget}
    assert {(r["config"]["L"], r["config"]["M"]) for r in rows} == expected
    assert [r["width"] for r in rows] == sorted((r["width"] for r in rows), reverse=True)


@settings(max_examples=20, deadline=None)
@given(budget=st.integers(3000, 1_500_000), k=st.sampled_from([1, 3]), percent=st.integers(0, 5))
def test_near_widest_igcv2_matches_a_full_scan(sopfr, budget, k, percent):
    from igcdesign.search import near_widest

    C = np.arange(1, len(sopfr))
    fits = C[C * (k * k + np.maximum(sopfr[1:], 1)) <= budget]
    floor_width = math.ceil(int(fits.max()) * (1 - percent / 100))
    rows = near_widest(budget, k, "igcv2", percent / 100)
    assert sorted(r["width"] for r in rows) == sorted(int(c) for c in fits if c >= floor_width)
    assert all(r["params"] <= budget for r in rows)


@pytest.mark.parametrize("budget, k, fraction", [(434, 3, 0), (5195, 3, 0.001), (1_183_576, 1, 0), (50_000, 3, 0.02)])
def test_near_widest_igcv2_keeps_the_widest_itself(sopfr, budget, k, fraction):
    """Regression: the walk once pruned a sibling prime whose subtree held the widest block."""
    from igcdesign.search import near_widest

    C = np.arange(1, len(sopfr))
    fits = C[C * (k * k + np.maximum(sopfr[1:], 1)) <= budget]
    floor_width = math.ceil(int(fits.max()) * (1 - fraction))
    rows = near_widest(budget, k, "igcv2", fraction)
    assert [r["width"] for r in rows] == sorted((int(c) for c in fits if c >= floor_width), reverse=True)


@settings(max_examples=30, deadline=None)
@given(budget=st.integers(10, 200_000), k=st.sampled_from([1, 3]), percent=st.integers(0, 20),
       family=st.sampled_from(["igcv1", "igcv2", "igcv3", "regular", "dwsep"]), limit=st.integers(1, 12))
def test_near_widest_limit_is_a_prefix_of_the_full_list(budget, k, percent, family, limit):
    from igcdesign.search import near_widest

    everything = near_widest(budget, k, family, percent / 100)
    some = near_widest(budget, k, family, percent / 100, limit=limit)
    assert [(r["width"], r["params"]) for r in some] == [(r["width"], r["params"]) for r in everything[:limit]]
