"""The fix search of `check`: the same answer as the former exhaustive search, with work that
grows about linearly with the chain's length (issue 9 §3: 400 small layers took over 30 s)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.connectivity import analyze, fixes
from igcdesign.connectivity.fixes import (_counting_possible, _gap_options, _make, _target_ok, _verdict,
                                          chain_layout, divisors)
from igcdesign.errors import IGCError
from igcdesign.families import parse_block
from igcdesign.layers import GroupConv, Permute, chain_params
from test_connectivity_paths import component_chains, random_chains

# --- the former search, kept verbatim as the brute-force reference ---------------------------
# Every candidate of a tier is verified with a full pass; the nearest in params among the
# verified ones wins (ties: enumeration order). `capped` says its budget cut the search short,
# `truncated` that a tier was cut at its 2,000-candidate cap: only then may the answers differ.

OLD_BUDGET_CHANNELS = 1 << 22


class _Old:
    capped = False
    truncated = False


def _old_search(candidates, budget, same_width, params_proposal, state):
    spent = 0
    for tier in candidates:
        found = []
        for widths, groups, kernels, tokens in tier:
            spent += sum(widths)
            if spent > budget:
                state.capped = True
                return found and min(found, key=lambda f: f[0])
            block = _make(widths, groups, kernels, tokens)
            verdict = _verdict(block.chain)
            if _target_ok(verdict, same_width):
                found.append((abs(block.params() - params_proposal), block, verdict))
        if found:
            return min(found, key=lambda f: f[0])
    return None


def _old_perm_tiers(widths, groups, kernels, tokens):
    options = [_gap_options(widths[i + 1]) for i in range(len(tokens))]
    by_changes: dict[int, list] = {}
    total = math.prod(len(o) for o in options)
    combos = itertools.product(*options) if total <= 4096 else [tuple("s" for _ in tokens)]
    for combo in combos:
        changes = sum(a != b for a, b in zip(combo, tokens))
        if changes:
            by_changes.setdefault(changes, []).append((widths, groups, kernels, list(combo)))
    return [by_changes[c] for c in sorted(by_changes)]


def _old_group_tiers(widths, groups, kernels, strict, state, max_changes=3):
    n = len(groups)
    options = [[d for d in divisors(widths[i]) if widths[i + 1] % d == 0] for i in range(n)]
    for changes in range(1, min(n, max_changes) + 1):
        tier = []
        for where in itertools.combinations(range(n), changes):
            pools = [[g for g in options[i] if g != groups[i]] if i in where else [groups[i]] for i in range(n)]
            for combo in itertools.product(*pools):
                if _counting_possible(widths, combo, strict):
                    tier.append((widths, list(combo), kernels, ["s"] * (n - 1)))
                if len(tier) > 2000:
                    state.truncated = True
                    break
        yield tier


def old_suggest(chain):
    """(kind, spec, verdict, params) of the former search, and its state."""
    state = _Old()
    widths, groups, kernels, tokens = chain_layout(chain)
    same_width = len(set(widths)) == 1
    params = int(chain_params(chain))
    try:
        if tokens and (_counting_possible(widths, groups, True)
                       or (not same_width and _counting_possible(widths, groups, False))):
            hit = _old_search(_old_perm_tiers(widths, groups, kernels, tokens), OLD_BUDGET_CHANNELS,
                              same_width, params, state)
            if hit:
                return ("permutations", hit[1].spec, hit[2], int(hit[1].params())), state
        for strict in ((True,) if same_width else (True, False)):
            hit = _old_search(_old_group_tiers(widths, groups, kernels, strict, state), OLD_BUDGET_CHANNELS,
                              same_width, params, state)
            if hit:
                return ("groups", hit[1].spec, hit[2], int(hit[1].params())), state
    except IGCError:
        pass
    return (None, None, None, None), state


# --- chains where the tiers of two and three changed convs matter ----------------------------

@st.composite
def mostly_channelwise(draw, max_convs: int = 8):
    """Equal-width chains of mostly channel-wise convs, a few grouped ones, identity or shuffle gaps."""
    w = draw(st.sampled_from([2, 4, 6, 8]))
    n = draw(st.integers(2, max_convs))
    chain = []
    for i in range(n):
        g = w if draw(st.booleans()) else draw(st.sampled_from(divisors(w)))
        chain.append(GroupConv(w, w, g, draw(st.sampled_from([1, 3]))))
        if i < n - 1 and draw(st.booleans()):
            chain.append(Permute(w, g))
    return tuple(chain)


@st.composite
def many_halved(draw):
    """Channel-wise chains with several convs of half the groups: ∏(w/g) = 2^m paths per output
    for m halved convs, so a fix needs several changes (m = 4, 5 for w = 4) or has none (m ≥ 6)."""
    w = draw(st.sampled_from([4, 8]))
    n = draw(st.integers(4, 9))
    halved = draw(st.sets(st.integers(0, n - 1), min_size=3, max_size=min(n, 7)))
    chain = []
    for i in range(n):
        g = w // 2 if i in halved else w
        chain.append(GroupConv(w, w, g, draw(st.sampled_from([1, 3]))))
        if i < n - 1 and draw(st.booleans()):
            chain.append(Permute(w, g))
    return tuple(chain)


@st.composite
def width_changing(draw, max_convs: int = 5):
    """Chains whose width changes (the relaxed target applies), groups of every size."""
    n = draw(st.integers(2, max_convs))
    widths = [draw(st.sampled_from([2, 4, 6, 8, 12])) for _ in range(n + 1)]
    chain = []
    for i in range(n):
        common = [d for d in divisors(widths[i]) if widths[i + 1] % d == 0]
        g = draw(st.sampled_from(common))
        chain.append(GroupConv(widths[i], widths[i + 1], g, 1))
        if i < n - 1 and draw(st.booleans()):
            chain.append(Permute(widths[i + 1], g))
    return tuple(chain)


def _new(chain):
    r = analyze(chain, fix=False)
    if r.verdict in ("strict", "relaxed"):
        return None
    fix = fixes.suggest_fix(chain, None, r)
    return fix["kind"], fix["spec"], fix["verdict"], fix["params"]


@settings(max_examples=120, deadline=None)
@given(st.one_of(random_chains(4), component_chains(3), mostly_channelwise(), many_halved(),
                 width_changing()))
def test_fix_is_the_former_exhaustive_searchs_fix(chain):
    if analyze(chain, fix=False).verdict in ("strict", "relaxed"):
        return
    old, state = old_suggest(chain)
    assert not (state.capped or state.truncated)  # small chains: the former search ran to its end
    assert _new(chain) == old
    assert not fixes.LAST_WORK.stopped


# --- long chains: the examples of issue 9, finished with about linear work -------------------

def chain_spec(groups: list[int], width: int = 4) -> str:
    n = len(groups)
    return (f"chain:W={'/'.join([str(width)] * (n + 1))},G={'/'.join(map(str, groups))},"
            f"k={'/'.join(['1'] * n)},P={'/'.join(['i'] * (n - 1))}")


def _work(groups: list[int]) -> tuple[dict, fixes.SearchWork]:
    r = analyze(chain_spec(groups))
    assert r.verdict == "sparse"
    return r.fix, fixes.LAST_WORK


def test_400_channelwise_layers_get_the_dense_first_conv_as_fix():
    fix, work = _work([4] * 400)
    # ∏(4/4) = 1 path into each output: one conv must become dense (G=1), the first in order,
    # and shuffles after channel-wise convs of one channel per group move nothing: strict.
    assert fix["exists"] and fix["kind"] == "groups" and fix["verdict"] == "strict"
    assert fix["note"] == "groups G=" + "/".join(["1"] + ["4"] * 399) + " with interleaves"
    assert fix["params"] == 16 + 399 * 4 and fix["params_proposal"] == 400 * 4
    assert not work.stopped and work.verified == 1


def test_mixed_groups_400_layers_have_no_fix_within_three_changes():
    groups = ([2] + [4] * 9) * 40
    fix, work = _work(groups)
    # 40 convs of G=2 give ∏(4/g) = 2^40 paths per output; three changes remove at most 2^3.
    assert not fix["exists"] and fix["note"].startswith("no complementary grouping")
    assert not work.stopped and work.verified == 0


def test_fix_search_work_grows_about_linearly():
    for groups_of in (lambda n: [4] * n, lambda n: ([2] + [4] * 9) * (n // 10),
                      lambda n: [2, 2, 2, 2, 2] + [4] * (n - 5)):
        work = {}
        for n in (50, 400):
            _, w = _work(groups_of(n))
            assert not w.stopped
            work[n] = (w.enumerated + w.conv_steps, w.verified)
        # 8× the length: linear work is about 8× (a little over, as the first few convs' share
        # shrinks); the former search's was over 64×.
        assert work[400][0] <= 9 * work[50][0]
        assert work[400][1] <= max(1, work[50][1])


def test_a_search_cut_by_its_work_limit_says_so(monkeypatch):
    monkeypatch.setattr(fixes, "MAX_ENUMERATION_STEPS", 10)
    fix, work = _work([2, 2, 2, 2, 2] + [4] * 45)
    assert work.stopped and not fix["exists"]
    assert fix["note"].startswith("fix search stopped after 0 candidates verified")


@pytest.mark.parametrize("groups,gaps", [
    ("4/2/4/2/2/2/4/4", "s/1/s/i/i/1/1"), ("2/2/4/4/4/2/2/2", "1/1/s/1/i/i/i"),
    ("4/2/4/2/2/2/2", "s/1/i/i/1/1"), ("2/4/2/4/2/2/4", "2/2/i/1/i/i"),
    ("4/2/2/4/2/2/4", "i/i/i/s/i/s"), ("2/2/2/4/4/4/2/4", "i/i/1/s/i/i/i"),
])
def test_ties_in_params_go_to_the_same_convs_as_before(groups, gaps):
    """Several changes of equal cost that check out: the former search's order decides."""
    n = len(groups.split("/"))
    chain = parse_block(f"chain:W={'/'.join(['4'] * (n + 1))},G={groups},P={gaps}").chain
    assert analyze(chain, fix=False).verdict in ("sparse", "redundant")
    old, state = old_suggest(chain)
    assert not (state.capped or state.truncated) and old[0] == "groups"
    assert _new(chain) == old
