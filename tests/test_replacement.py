"""Drop-in replacement candidates against brute force: every block of every family with the same
in/out widths and at most the weights, check-accepted, listed once, ranked widest first."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.connectivity import analyze
from igcdesign.errors import IGCError, SpecError
from igcdesign.families import FAMILIES, parse_block
from igcdesign.layers import convs
from igcdesign.replacement import candidates, chosen_families, replacement_families

ACCEPTED = ("strict", "relaxed")


def brute_force(cin: int, cout: int, k: int, max_params: int) -> set[tuple]:
    """Every accepted chain (as its layer shapes) of specs written out by hand over a grid that
    covers each family's keys, judged by analyze() (exact path counts), not by the family."""
    specs = []
    if cin == cout:
        C = cin
        specs += [f"regular:C={C},k={k}", f"dwsep:C={C},k={k}"]
        specs += [f"igcv1:L={L},M={C // L},k={k}" for L in range(1, C + 1) if C % L == 0]
        specs += [f"shufflenetv1:C={C},g={g},k={k}" for g in range(1, C + 1)]
        divisors = [d for d in range(1, C + 1) if C % d == 0]
        for n in range(2, C.bit_length() + 1):
            for K in itertools.product(divisors, repeat=n):
                if math.prod(K) == C and all(x >= 2 for x in K[1:]) and list(K[1:]) == sorted(K[1:], reverse=True):
                    specs.append(f"igcv2:K={'x'.join(map(str, K))},k={k}")
    for t in range(1, max_params // (k * k * cin) + 1):  # the channel-wise conv alone has t·C·k² weights
        for g1 in range(1, cin + 1):
            for g2 in range(1, cout + 1):
                if cin % g1 or cout % g2 or (t * cin) % g2:  # not a valid block: parse would refuse it
                    continue
                specs.append(f"igcv3:C={cin},t={t},G1={g1},G2={g2},k={k},Cout={cout}")
    found = set()
    for spec in specs:
        try:
            block = parse_block(spec)
        except SpecError:
            continue
        if block.params() <= max_params and analyze(block, fix=False).verdict in ACCEPTED:
            found.add(shape(block))
    return found


def shape(block) -> tuple:
    return tuple((c.cin, c.cout, c.groups, c.k) for c in convs(block.chain)) + tuple(
        (layer.width, layer.groups) for layer in block.chain if layer.kind == "permute")


@settings(max_examples=12, deadline=None)
@given(cin=st.sampled_from([4, 6, 8, 12]), same=st.booleans(), k=st.sampled_from([1, 3]),
       share=st.integers(20, 100))
def test_candidates_are_exactly_the_accepted_blocks(cin, same, k, share):
    cout = cin if same else cin * 2
    max_params = cin * cout * k * k * share // 100 + cin * 4
    found = candidates(cin, cout, k=k, max_params=max_params, hw=8)
    assert {shape(c.block) for c in found} == brute_force(cin, cout, k, max_params)
    assert len({shape(c.block) for c in found}) == len(found)  # each chain once


def test_every_candidate_is_a_drop_in():
    found = candidates(64, 64, k=3, max_params=64 * 64 * 9, hw=56)
    assert {c.family for c in found} == set(replacement_families())
    for c in found:
        chain_convs = convs(c.block.chain)
        assert chain_convs[0].cin == 64 and chain_convs[-1].cout == 64
        assert c.params == c.block.params() <= 64 * 64 * 9
        assert c.mult_adds == c.params * 56 * 56
        assert c.width == max(max(x.cin, x.cout) for x in chain_convs)
        assert parse_block(c.spec).chain == c.block.chain  # the spec pastes back
    keys = [(-c.width, c.params) for c in found]
    assert keys == sorted(keys)
    assert any(c.spec == "regular:C=64,k=3" for c in found)


def test_regular_conv_is_its_own_candidate_at_its_params():
    found = candidates(32, 32, k=3, max_params=32 * 32 * 9, families="regular")
    assert [c.spec for c in found] == ["regular:C=32,k=3"]
    assert candidates(32, 32, k=3, max_params=32 * 32 * 9 - 1, families="regular") == []


def test_widths_change_only_through_igcv3():
    found = candidates(16, 32, k=3, max_params=2 * 10**4)
    assert {c.family for c in found} == {"igcv3", "mobilenetv2"}
    assert all(convs(c.block.chain)[-1].cout == 32 for c in found)


def test_family_names_are_checked():
    assert chosen_families("igcv1,igcv3") == ["igcv1", "igcv3"]
    assert chosen_families("all") == replacement_families()
    with pytest.raises(IGCError, match="unknown family"):
        chosen_families("nope")


@pytest.mark.parametrize("kwargs", [dict(cin=0, cout=4), dict(cin=4, cout=1 << 20), dict(cin=4, cout=4, max_params=0),
                                    dict(cin=4, cout=4, hw=0), dict(cin=True, cout=4)])
def test_bad_sizes_are_one_line_errors(kwargs):
    args = {"max_params": 100, **kwargs}
    with pytest.raises(IGCError):
        candidates(args.pop("cin"), args.pop("cout"), **args)


def test_too_many_configurations_is_refused_before_work():
    with pytest.raises(IGCError, match="configurations"):
        candidates(4096, 4096, k=3, max_params=4096 * 4096 * 9)


def test_mobilenetv2_is_not_listed_again_as_igcv3():
    found = candidates(8, 8, k=3, max_params=10**4)
    igcv3 = [c for c in found if c.family == "igcv3"]
    assert all((c.block.config["G1"], c.block.config["G2"]) != (1, 1) for c in igcv3)
    assert any(c.family == "mobilenetv2" for c in found)
    assert FAMILIES["mobilenetv2"].make(C=8, t=2).chain == FAMILIES["igcv3"].make(C=8, t=2, G1=1, G2=1).chain


@pytest.mark.parametrize("cin,cout,k,hw", [(8, 8, 3, 9), (8, 16, 3, 8), (6, 6, 1, 7)])
def test_strided_candidates_are_the_stride_1_ones_with_a_strided_spatial_conv(cin, cout, k, hw):
    """A drop-in for a strided conv: the same blocks as at stride 1, each with exactly one conv
    at stride 2 (the spatial one, k×k where the block has one), the same weights, and mult_adds
    that count every layer at its own output map: ⌈hw/2⌉² after the strided conv (odd k)."""
    budget = cin * cout * k * k
    plain = candidates(cin, cout, k=k, max_params=budget, hw=hw)
    strided = candidates(cin, cout, stride=2, k=k, max_params=budget, hw=hw)
    def shapes(candidate):
        return shape(parse_block(candidate.spec.replace(",s=2", "")))

    by_shape = {shapes(c): c for c in plain}
    assert len(by_shape) == len(plain) == len(strided)
    assert sorted(by_shape) == sorted(shapes(c) for c in strided)
    side = -(-hw // 2)
    for after in strided:
        before = by_shape[shapes(after)]
        layers = convs(after.block.chain)
        assert [c.stride for c in layers].count(2) == 1 and all(c.stride in (1, 2) for c in layers)
        at = [c.stride for c in layers].index(2)
        assert layers[at].k == max(c.k for c in layers)
        assert after.params == before.params
        expected = sum(c.params() * (hw * hw if i < at else side * side) for i, c in enumerate(layers))
        assert after.mult_adds == expected
        assert parse_block(after.spec).spec == after.spec and ",s=2" in after.spec


def test_a_stride_past_the_map_is_refused():
    with pytest.raises(IGCError, match="stride"):
        candidates(8, 8, stride=9, max_params=576, hw=8)
