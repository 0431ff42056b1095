"""Property tests for the grammar's new parts, against brute force on small cases: strided chains
against the torch module's own shapes and weights, and unit path counts against an enumeration of
the unit's channel-to-channel edges (tests/test_units.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.counting import count_block
from igcdesign.families import parse_block


@st.composite
def strided_chains(draw):
    n = draw(st.integers(1, 3))
    groups = [draw(st.sampled_from([1, 2, 4])) for _ in range(n)]
    widths = [4 * draw(st.integers(1, 2)) for _ in range(n + 1)]
    kernels = [draw(st.sampled_from([1, 2, 3, 5])) for _ in range(n)]
    strides = [draw(st.sampled_from([1, 1, 2, 3])) for _ in range(n)]
    hw = draw(st.integers(1, 12))
    spec = (f"chain:W={'/'.join(map(str, widths))},G={'/'.join(map(str, groups))},"
            f"k={'/'.join(map(str, kernels))},s={'/'.join(map(str, strides))},P=i")
    return spec, hw


@settings(max_examples=40, deadline=None)
@given(strided_chains())
def test_strided_chain_counts_equal_the_torch_module(case):
    torch = pytest.importorskip("torch")
    from igcdesign.errors import SpecError
    from igcdesign.probe.modules import block_module

    spec, hw = case
    block = parse_block(spec)
    side, fits = hw, True
    for conv in (layer for layer in block.chain if hasattr(layer, "stride")):
        if conv.stride > side:
            fits = False
            break
        side = conv.out_side(side)
    if not fits:
        with pytest.raises(SpecError):
            count_block(block, hw)
        return
    counted = count_block(block, hw)
    module = block_module(block)
    macs = []
    for conv in module.convs:
        conv.register_forward_hook(lambda c, i, o: macs.append(c.weight.numel() * o.shape[2] * o.shape[3]))
    with torch.no_grad():
        y = module(torch.zeros(1, block.chain[0].cin, hw, hw))
    assert y.shape[2] == counted.hw_out == side
    assert sum(macs) == counted.mult_adds
    assert parse_block(block.spec).spec == block.spec


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_unit_path_counts_equal_the_edge_enumeration(data):
    from igcdesign.nets.unitcheck import unit_path_matrix
    from igcdesign.nets.unitspecs import parse_unit
    from test_units import _enumerate_paths

    kind = data.draw(st.sampled_from(["v2", "v2down", "v1", "v1down", "res", "bottleneck"]))
    if kind == "v2":
        spec = f"shufflenetv2-unit:C={2 * data.draw(st.integers(1, 8))}"
    elif kind == "v2down":
        spec = f"shufflenetv2-unit:Cin={data.draw(st.integers(1, 8))},C={2 * data.draw(st.integers(1, 8))},s=2"
    elif kind in ("v1", "v1down"):
        g = data.draw(st.sampled_from([1, 2, 3]))
        C = 4 * g * data.draw(st.integers(1, 3))
        if kind == "v1":
            spec = f"shufflenetv1-unit:C={C},g={g}"
        else:
            Cin = g * data.draw(st.integers(1, max(1, C // g - 1)))
            if Cin >= C:
                return
            spec = f"shufflenetv1-unit:Cin={Cin},C={C},g={g},s=2"
    elif kind == "res":
        spec = f"resnet-unit:Cin={data.draw(st.integers(1, 8))},C={data.draw(st.integers(1, 8))},s={data.draw(st.sampled_from([1, 2]))}"
    else:
        G = data.draw(st.sampled_from([1, 2, 4]))
        spec = f"resnet-bottleneck:Cin={data.draw(st.integers(1, 8))},C={4 * data.draw(st.integers(1, 3))},mid={G * data.draw(st.integers(1, 2))},G={G}"
    try:
        _, unit = parse_unit(spec)
    except Exception as e:  # a combination the unit does not take (groups not dividing)
        from igcdesign.errors import SpecError

        assert isinstance(e, SpecError), spec
        return
    assert unit_path_matrix(unit).tolist() == _enumerate_paths(spec), spec
