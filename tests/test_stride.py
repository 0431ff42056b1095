"""Strides in block specs (`s=`): where each family puts the stride, what each layer costs at its
own output map (closed forms written here from docs/conventions.md §1, and the torch module's
own shapes and weights), the specs printed back, and hostile values.

Output side of a conv with padding k//2 (odd k): ⌈hw/s⌉; even k at a stride: padding (k − 1)//2,
⌊(hw + 2p − k)/s⌋ + 1 (the torch modules are built with the same padding and checked here).
"""

from __future__ import annotations

import pytest

from igcdesign.counting import count_block
from igcdesign.families import parse_block
from igcdesign.families.chain import chain_spec


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def closed_form(family: str, hw: int, s: int, **c) -> tuple[int, int, int]:
    """(params, mult_adds, output side) written from each family's description (README table)."""
    o = ceil_div(hw, s)
    k = c.get("k", 3)
    S = k * k
    if family == "regular":
        C = c["C"]
        return C * C * S, C * C * S * o * o, o
    if family == "dwsep":
        C = c["C"]
        return C * S + C * C, (C * S + C * C) * o * o, o
    if family == "igcv1":
        L, M = c["L"], c["M"]
        G = L * M
        primary, secondary = G * G * S // L, G * G // M
        return primary + secondary, (primary + secondary) * o * o, o
    if family == "igcv2":
        K = c["K"]
        C = 1
        for v in K:
            C *= v
        first, rest = C * K[0] * S, sum(C * v for v in K[1:])
        return first + rest, (first + rest) * o * o, o
    if family == "igcv3":
        C, t, G1, G2 = c["C"], c.get("t", 6), c.get("G1", 2), c.get("G2", 2)
        expand, dw, reduce = C * t * C // G1, t * C * S, t * C * C // G2
        return expand + dw + reduce, expand * hw * hw + (dw + reduce) * o * o, o
    if family == "shufflenetv1":
        C, g = c["C"], c.get("g", 3)
        m = C // 4
        first, dw, last = C * m // g, m * S, m * C // g
        return first + dw + last, first * hw * hw + (dw + last) * o * o, o
    raise AssertionError(family)


CASES = [
    ("regular", dict(C=8), "regular:C=8,s=2"),
    ("dwsep", dict(C=12, k=5), "dwsep:C=12,k=5,s=3"),
    ("igcv1", dict(L=4, M=2), "igcv1:L=4,M=2,s=2"),
    ("igcv2", dict(K=(1, 4, 2)), "igcv2:K=1x4x2,s=2"),
    ("igcv3", dict(C=8, t=2, G1=2, G2=2), "igcv3:C=8,t=2,G1=2,G2=2,s=2"),
    ("shufflenetv1", dict(C=24, g=3), "shufflenetv1:C=24,g=3,s=2"),
]


@pytest.mark.parametrize("hw", [1, 7, 8, 15])
@pytest.mark.parametrize("family,config,spec", CASES, ids=[c[2] for c in CASES])
def test_strided_blocks_count_their_closed_forms(family, config, spec, hw):
    s = int(spec.rsplit("s=", 1)[1])
    if s > hw:
        with pytest.raises(Exception, match="larger than its"):
            count_block(spec, hw)
        return
    counted = count_block(spec, hw)
    params, macs, side = closed_form(family, hw, s, **config)
    assert (counted.params, counted.mult_adds, counted.hw_out) == (params, macs, side)
    assert counted.hw == hw


@pytest.mark.parametrize("family,config,spec", CASES, ids=[c[2] for c in CASES])
def test_the_stride_sits_on_the_family_spatial_conv(family, config, spec):
    convs = [layer for layer in parse_block(spec).chain if hasattr(layer, "stride")]
    strided = [i for i, conv in enumerate(convs) if conv.stride != 1]
    expected = 1 if family in ("igcv3", "shufflenetv1") else 0  # the channel-wise conv; else the first k×k
    assert strided == [expected] and convs[expected].k == config.get("k", 3)


def shape(chain) -> list[tuple]:
    """A chain without its layers' names: convs (cin, cout, groups, k, stride), permutations' orders."""
    return [(l.cin, l.cout, l.groups, l.k, l.stride) if hasattr(l, "stride") else tuple(l.index_map()) for l in chain]


def one_line_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout[-500:], result.stderr[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error: "), result.stderr[-2000:]
    return lines[0]


def test_canonical_specs_omit_stride_one_and_keep_the_others():
    assert parse_block("regular:C=8,s=1").spec == "regular:C=8,k=3"
    assert parse_block("igcv3:C=8,t=2,s=2,Cout=16").spec == "igcv3:C=8,t=2,G1=2,G2=2,k=3,s=2,Cout=16"
    assert parse_block("chain:W=8/8/8,G=1/8,k=3/1,s=1/1").spec == "chain:W=8/8/8,G=1/8,k=3/1,P=s"
    assert parse_block("chain:W=8/8/8,G=1/8,k=3/1,s=2").spec == "chain:W=8/8/8,G=1/8,k=3/1,s=2/1,P=s"
    for _, _, spec in CASES:
        block = parse_block(spec)
        assert parse_block(block.spec) == block
        assert shape(parse_block(chain_spec(block.chain)).chain) == shape(block.chain)  # strides survive chain_spec


def test_chain_takes_one_stride_per_conv():
    spec = "chain:W=8/16/16/8,G=1/16/2,k=1/3/1,s=1/2/1,P=s/i"
    counted = count_block(spec, 9)
    # expand 1×1 at 9×9, channel-wise 3×3 to 5×5, reduce 1×1 at 5×5
    assert counted.mult_adds == 8 * 16 * 81 + 16 * 9 * 25 + 16 * 8 // 2 * 25
    assert [row.get("hw") for row in counted.layers if row["kind"] == "conv"] == [9, 5, 5]
    # memory access: each conv reads its input map and writes its output map
    assert counted.mem_access == (8 * 81 + 16 * 81 + 128) + (16 * 81 + 16 * 25 + 144) + (16 * 25 + 8 * 25 + 64)


def test_strided_chain_spec_pastes_back_through_count_and_check(cli):
    for spec in ("chain:W=8/16/16/8,G=1/16/2,k=1/3/1,s=1/2/1,P=s/i", "igcv3:C=8,t=2,s=2", "igcv1:L=4,M=8,s=2"):
        counted = cli("count", spec, "--hw", "9", "--json")
        assert counted.exit_code == 0, counted.stderr
        checked = cli("check", spec, "--json")
        assert checked.exit_code in (0, 1), checked.stderr
        again = cli("count", checked.json()["spec"], "--hw", "9", "--json").json()
        assert again["mult_adds"] == counted.json()["mult_adds"]


def test_the_stride_does_not_change_the_verdict(cli):
    for a, b in (("igcv3:C=24,G1=3,G2=3", "igcv3:C=24,G1=3,G2=3,s=2"), ("igcv1:L=4,M=8", "igcv1:L=4,M=8,s=4")):
        plain, strided = cli("check", a, "--json"), cli("check", b, "--json")
        assert plain.exit_code == strided.exit_code
        keys = ("verdict", "paths_min", "paths_max", "disconnected_pairs")
        assert {k: plain.json()[k] for k in keys} == {k: strided.json()[k] for k in keys}


# --- against the torch module: its own shapes and weights -----------------------------------------

TORCH_SPECS = [spec for _, _, spec in CASES] + [
    "chain:W=8/16/16/8,G=1/16/2,k=1/3/1,s=1/2/1,P=s/i",
    "chain:W=4/8,G=1,k=2,s=2",  # even kernel at a stride: padding (k − 1)//2
    "chain:W=4/8/8,G=1/2,k=4/1,s=3/2",  # two strided convs, even kernel
    "regular:C=4,k=1,s=2",
]


@pytest.mark.parametrize("hw", [5, 8, 11])
@pytest.mark.parametrize("spec", TORCH_SPECS)
def test_counts_equal_the_torch_module(spec, hw):
    torch = pytest.importorskip("torch")
    from igcdesign.probe.modules import block_module

    block = parse_block(spec)
    counted = count_block(block, hw)
    module = block_module(block).eval()
    macs, mem = [], []

    def hook(conv, inputs, output):
        macs.append(conv.weight.numel() * output.shape[2] * output.shape[3])
        mem.append(inputs[0][0].numel() + output[0].numel() + conv.weight.numel())

    for conv in module.convs:
        conv.register_forward_hook(hook)
    x = torch.zeros(1, block.chain[0].cin, hw, hw)
    with torch.no_grad():
        y = module(x)
    assert y.shape[2] == y.shape[3] == counted.hw_out
    assert sum(p.numel() for p in module.parameters()) == counted.params
    assert sum(macs) == counted.mult_adds
    conv_mem = [row["mem_access"] for row in counted.layers if row["kind"] == "conv"]
    assert conv_mem == mem


# --- hostile values --------------------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (("count", "igcv1:L=4,M=8,s=0"), "must be positive"),
    (("count", "igcv1:L=4,M=8,s=x"), "not a positive integer"),
    (("count", "igcv1:L=4,M=8,s=2.5"), "not a positive integer"),
    (("count", "igcv1:L=4,M=8,s=" + "9" * 40), "too large"),
    (("count", "igcv1:L=4,M=8,s=100000000"), "larger than any map"),
    (("count", "igcv1:L=4,M=8,s=64", "--hw", "32"), "larger than its 32×32 input map"),
    (("count", "regular:C=4,s=2", "--hw", "1"), "larger than its 1×1 input map"),
    (("count", "chain:W=4/4/4,G=1/1,s=2/2/2"), "3 strides for 2 convs"),
    (("count", "chain:W=4/4,G=1,s=2/0"), "chain s"),
    (("check", "igcv1:L=4,M=8,s=-1"), "s"),
    (("count", "igcv1:L=4,M=8,s=2,s=2"), "duplicate key 's'"),
])
def test_bad_strides_are_one_line_errors(cli, args, words):
    assert words in one_line_error(cli(*args, "--json"))


def test_probe_refuses_a_stride_larger_than_its_map_before_building(cli):
    line = one_line_error(cli("probe", "igcv1:L=4,M=8,s=8", "--hw", "4", "--min-time", "0.01", "--json"))
    assert "larger than its 4×4 input map" in line
