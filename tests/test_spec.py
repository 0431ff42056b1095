"""The spec grammar: every family parses, canonical specs round-trip, bad specs are refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igcdesign.errors import SpecError
from igcdesign.layers import GroupConv, Permute
from igcdesign.families import parse_block

GOOD = [
    "regular:C=64,k=3",
    "dwsep:C=64,k=3",
    "igcv1:L=4,M=8,k=3",
    "igcv2:K=1x8x8,k=3",
    "igcv2:C=64,K=1x4x4",
    "igcv3:C=24,t=6,G1=2,G2=2,k=3",
    "igcv3:C=24,t=6,G1=2,G2=2,Cout=32",
    "mobilenetv2:C=24,t=6",
    "chain:W=24/144/144/24,G=2/144/2,k=1/3/1,P=s",
    "chain:W=16/16/16,G=4/4,P=i",
    "chain:W=16/32/16,G=4/8,k=3,P=2",
]


@pytest.mark.parametrize("text", GOOD)
def test_good_specs_parse_and_round_trip(text):
    block = parse_block(text)
    again = parse_block(block.spec)
    assert again.spec == block.spec and again.chain == block.chain


@pytest.mark.parametrize(
    "text",
    [
        "", "igcv1", "igcv1:", "igcv1:L=4", "igcv1:L=4,M=8,Q=1", "igcv1:L=4,M=8,L=4", "igcv1:L=0,M=8",
        "igcv1:L=-1,M=8", "igcv1:L=4.5,M=8", "igcv1:L=2**3,M=8", "igcv1:L=__import__('os'),M=1",
        "igcv1:L=4;M=8", "nope:C=1", "regular:C=1e3", "regular:C=9999999999999999", "igcv2:C=64,K=1x7x8",
        "igcv2:K=8", "igcv2:K=1xx8", "igcv3:C=24,G1=5", "igcv3:C=24,G2=7", "chain:W=8/8,G=2/2",
        "chain:W=8/8/8,G=3/1", "chain:W=8/8/8,G=2/2,P=3", "chain:W=8/8/8,G=2/2,P=s/s",
        "chain:W=8/8/8,G=2/2,P=x", "chain:W=8/8/8,G=2/2,k=3/3/3", "regular:C", "regular:=4",
    ],
)
def test_bad_specs_are_refused(text):
    with pytest.raises(SpecError):
        parse_block(text)


def test_family_expansions_are_the_papers_chains():
    """IGCV1: primary k×k group conv (L groups), interleave, secondary 1×1 (M groups), permute back."""
    chain = parse_block("igcv1:L=4,M=8,k=3").chain
    assert [type(layer) for layer in chain] == [GroupConv, Permute, GroupConv, Permute]
    assert (chain[0].groups, chain[0].k, chain[2].groups, chain[2].k) == (4, 3, 8, 1)
    # IGCV3: one shuffle, after the expanding conv (the channel-wise conv's shuffle is the identity)
    chain = parse_block("igcv3:C=24,t=6,G1=2,G2=2").chain
    assert [layer.kind for layer in chain] == ["conv", "permute", "conv", "conv"]
    assert chain[2].groups == chain[2].cin == 144


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_spec_error(text):
    try:
        parse_block(text)
    except SpecError:
        pass


@pytest.mark.parametrize("factors", [2, 30, 300])
@pytest.mark.parametrize("command", ["count", "check", "probe"])
def test_huge_channel_products_are_refused_in_one_line(cli, command, factors):
    """Each value is capped at 15 digits; their product (IGCV2's default C = ∏K) is capped too."""
    spec = "igcv2:K=" + "x".join(["999999999999999"] * factors)
    result = cli(command, spec)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("igcdesign: error:")
