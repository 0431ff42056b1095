"""Proofs that the torch modules are the blocks the counting engine describes.

(1) parameter count == chain count, (2) a block without BN/ReLU equals one dense conv with the
composed kernel, (3) the composed kernel's non-zero pattern is the connectivity path pattern,
(4) torch's FlopCounterMode (2 FLOPs per multiply-add) agrees with count_block's mult_adds.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from igcdesign.counting import count_block  # noqa: E402
from igcdesign.errors import SpecError  # noqa: E402
from igcdesign.layers import GroupConv, Permute, chain_params, shuffle_index_map  # noqa: E402
from igcdesign.probe.kernels import composed_kernel, connection_pattern, dense_weight  # noqa: E402
from igcdesign.probe.modules import ChannelPermute, ChannelShuffle, block_module, chain_module  # noqa: E402
from igcdesign.families import parse_block  # noqa: E402

torch.set_num_threads(1)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- random specs of every family -------------------------------------------------------------
def small(lo=1, hi=6):
    return st.integers(lo, hi)


@st.composite
def chain_specs(draw, odd_kernels=True):
    """chain: specs with 1–3 convs, groups dividing both sides, and every gap kind (s, i, g)."""
    n = draw(st.integers(1, 3))
    groups = [draw(st.sampled_from([1, 2, 3, 4])) for _ in range(n)]
    widths = []
    for i in range(n + 1):
        need = math.lcm(groups[i - 1] if i > 0 else 1, groups[i] if i < n else 1)
        widths.append(need * draw(small(1, 3)))
    kernel_choices = [1, 3, 5] if odd_kernels else [1, 2, 3, 4]
    kernels = [draw(st.sampled_from(kernel_choices)) for _ in range(n)]
    gaps = []
    for i in range(n - 1):
        w = widths[i + 1]
        divisors = [d for d in range(1, w + 1) if w % d == 0]
        gaps.append(draw(st.one_of(st.sampled_from(["s", "i"]), st.sampled_from(divisors).map(str))))
    spec = "chain:W=" + "/".join(map(str, widths)) + ",G=" + "/".join(map(str, groups))
    spec += ",k=" + "/".join(map(str, kernels))
    if gaps:
        spec += ",P=" + "/".join(gaps)
    return spec


@st.composite
def family_specs(draw, odd_kernels=True):
    k = draw(st.sampled_from([1, 3, 5] if odd_kernels else [1, 2, 3, 4, 5]))
    family = draw(st.sampled_from(["regular", "dwsep", "igcv1", "igcv2", "igcv3", "mobilenetv2", "chain"]))
    if family in ("regular", "dwsep"):
        return f"{family}:C={draw(small(1, 12))},k={k}"
    if family == "igcv1":
        return f"igcv1:L={draw(small())},M={draw(small())},k={k}"
    if family == "igcv2":
        K = [draw(small(1, 4)) for _ in range(draw(st.integers(2, 4)))]
        return f"igcv2:K={'x'.join(map(str, K))},k={k}"
    if family in ("igcv3", "mobilenetv2"):
        g1, g2 = (draw(small(1, 3)), draw(small(1, 3))) if family == "igcv3" else (1, 1)
        C, Cout, t = g1 * draw(small(1, 3)), g2 * draw(small(1, 3)), draw(small(1, 4))
        assume(t * C % g1 == 0 and t * C % g2 == 0)
        groups = f",G1={g1},G2={g2}" if family == "igcv3" else ""
        return f"{family}:C={C},t={t}{groups},Cout={Cout},k={k}"
    return draw(chain_specs(odd_kernels=odd_kernels))


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


# --- (1) parameters ---------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family_specs(odd_kernels=False))
def test_module_params_equal_chain_params(spec):
    block = parse_block(spec)
    assert n_params(block_module(block)) == chain_params(block.chain)


@FAST
@given(family_specs())
def test_bn_relu_add_two_params_per_output_channel(spec):
    block = parse_block(spec)
    cout = [layer for layer in block.chain if isinstance(layer, GroupConv)][-1].cout
    module = block_module(block, bn=True, relu=True)
    assert n_params(module) == chain_params(block.chain) + 2 * cout
    assert isinstance(module[-1], torch.nn.ReLU) and isinstance(module[-2], torch.nn.BatchNorm2d)


def test_igcv1_paper_parameter_formula():
    # docs/conventions.md §1 / arXiv 1707.02725: T = L·M²·S + M·L² for an IGCV1 block.
    for L, M, k in [(2, 4, 3), (4, 8, 3), (54, 6, 3), (3, 5, 1)]:
        assert n_params(block_module(f"igcv1:L={L},M={M},k={k}")) == L * M * M * k * k + M * L * L


def test_block_order_igcv1():
    module = block_module("igcv1:L=4,M=8,k=3")
    kinds = [type(m).__name__ for m in module]
    assert kinds == ["Conv2d", "ChannelShuffle", "Conv2d", "ChannelShuffle"]
    primary, secondary = module[0], module[2]
    assert (primary.groups, primary.kernel_size, secondary.groups, secondary.kernel_size) == (4, (3, 3), 8, (1, 1))
    assert module[1].groups == 4 and module[3].groups == 8  # interleave, permute back


# --- permutations ------------------------------------------------------------------------------
@pytest.mark.parametrize("width,groups", [(12, 3), (12, 4), (8, 2), (6, 6), (5, 1)])
def test_shuffle_moves_channels_as_index_map(width, groups):
    x = torch.arange(width, dtype=torch.float64).reshape(1, width, 1, 1).expand(2, width, 3, 3).contiguous()
    y = ChannelShuffle(width, groups)(x)
    assert y[0, :, 0, 0].long().tolist() == shuffle_index_map(width, groups)
    cl = ChannelShuffle(width, groups)(x.to(memory_format=torch.channels_last))
    assert torch.equal(cl, y) and cl.is_contiguous(memory_format=torch.channels_last)


def test_explicit_permutation_is_index_select():
    perm = (2, 0, 3, 1)
    x = torch.randn(1, 4, 2, 2)
    y = chain_module((GroupConv(4, 4, 4, 1), Permute(4, perm=perm)))
    w = y[0].weight.detach().reshape(4)
    assert torch.allclose(y(x), (x * w.reshape(1, 4, 1, 1))[:, list(perm)])
    with pytest.raises(Exception):
        ChannelPermute((0, 0, 1))


def test_symbolic_chain_is_refused():
    import sympy

    C = sympy.Symbol("C", positive=True, integer=True)
    with pytest.raises(Exception, match="concrete"):
        chain_module((GroupConv(C, C, 1, 3),))


# --- (2) the composed kernel ------------------------------------------------------------------
def check_equals_dense_conv(spec: str, hw: int = 7) -> None:
    torch.manual_seed(hash(spec) % 2**31)
    module = block_module(spec).double()
    kernel = composed_kernel(module)
    x = torch.randn(2, module.convs[0].in_channels, hw, hw, dtype=torch.float64)
    with torch.no_grad():
        y, dense = module(x), F.conv2d(x, kernel, padding=kernel.shape[-1] // 2)
    spatial = sum(1 for c in module.convs if c.kernel_size[0] > 1)
    r = kernel.shape[-1] // 2 if spatial > 1 else 0  # several spatial convs: zero padding in between
    if r:
        y, dense = y[..., r:-r, r:-r], dense[..., r:-r, r:-r]
    torch.testing.assert_close(y, dense, rtol=1e-10, atol=1e-10)


@FAST
@given(family_specs())
def test_block_equals_one_dense_conv_with_composed_kernel(spec):
    check_equals_dense_conv(spec, hw=12)


def test_igcv1_composed_kernel_is_P_Wd_Pt_Wp():
    # The IGCV1 paper's W = P·W_d·Pᵀ·W_p written out with explicit permutation matrices.
    L, M = 3, 4
    module = block_module(f"igcv1:L={L},M={M},k=3").double()
    Wp = dense_weight(module[0])  # primary: (G, G, 3, 3), block-diagonal with L blocks
    Wd = dense_weight(module[2])[:, :, 0, 0]  # secondary 1×1: (G, G)
    G = L * M
    P = torch.zeros(G, G, dtype=torch.float64)
    for j, i in enumerate(shuffle_index_map(G, L)):
        P[j, i] = 1  # interleave: (P x)_j = x_{idx[j]}
    Q = torch.zeros(G, G, dtype=torch.float64)
    for j, i in enumerate(shuffle_index_map(G, M)):
        Q[j, i] = 1  # permute back, which is Pᵀ
    assert torch.equal(Q, P.T)
    expected = torch.einsum("ab,bc,cd,dexy->aexy", Q, Wd, P, Wp)
    torch.testing.assert_close(composed_kernel(module), expected)
    check_equals_dense_conv(f"igcv1:L={L},M={M},k=3")


def test_regular_composed_kernel_is_its_weight():
    module = block_module("regular:C=5,k=3").double()
    assert torch.equal(composed_kernel(module), module[0].weight)


# --- (3) connectivity pattern ------------------------------------------------------------------
@FAST
@given(family_specs())
def test_composed_kernel_pattern_is_path_pattern(spec):
    connectivity = pytest.importorskip("igcdesign.connectivity")
    block = parse_block(spec)
    torch.manual_seed(0)
    module = block_module(block).double()
    with torch.no_grad():
        for conv in module.convs:
            conv.weight.uniform_(0.5, 1.5)  # positive: no cancellation between paths
    paths = torch.as_tensor(connectivity.path_matrix(block.chain) > 0)
    assert torch.equal(connection_pattern(module), paths)


def test_igcv1_is_dense_and_sparse_chain_is_not():
    # Brute force: IGCV1 connects every output to every input (the complementary condition);
    # two group convs with identity in between keep the block diagonal.
    assert bool(connection_pattern(block_module("igcv1:L=3,M=4").double()).all())
    pattern = connection_pattern(block_module("chain:W=6/6/6,G=2/2,k=3/1,P=i").double())
    assert pattern.sum().item() == 2 * 3 * 3 and not bool(pattern[0, 3:].any())


# --- (4) FLOPs ----------------------------------------------------------------------------------
@FAST
@given(family_specs(odd_kernels=False), st.integers(1, 9), st.integers(1, 3))
def test_flop_counter_is_twice_mult_adds(spec, hw, batch):
    from torch.utils.flop_counter import FlopCounterMode

    block = parse_block(spec)
    module = block_module(block)
    x = torch.randn(batch, module.convs[0].in_channels, hw, hw)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(x)
    assert y.shape[-2:] == (hw, hw)
    assert counter.get_total_flops() == 2 * batch * count_block(block, hw).mult_adds


# --- export / trace -------------------------------------------------------------------------------
def test_torch_export_of_a_block():
    module = block_module("igcv1:L=2,M=4,k=3", bn=True, relu=True).eval()
    x = torch.randn(2, 8, 6, 6)
    exported = torch.export.export(module, (x,))
    names = {str(n.target) for n in exported.graph.nodes if n.op == "call_function"}
    assert not any("index" in name for name in names)  # shuffles stay view/transpose
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(x), module(x))


def test_jit_trace_of_an_explicit_permutation():
    module = chain_module((GroupConv(4, 4, 2, 3), Permute(4, perm=(3, 2, 1, 0)), GroupConv(4, 4, 2, 1))).eval()
    x = torch.randn(1, 4, 5, 5)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(module, x)
    other = torch.randn(3, 4, 5, 5)  # another batch size: the trace is not tied to its example
    with torch.no_grad():
        torch.testing.assert_close(traced(other), module(other))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family_specs(), st.booleans())
def test_jit_script_of_every_family(spec, bn_relu):
    """torch.jit.script compiles every block (it used to fail on ChainModule.convs) and the
    scripted module computes what the eager one does, on both memory layouts."""
    module = block_module(spec, bn=bn_relu, relu=bn_relu).eval()
    scripted = torch.jit.script(module)
    x = torch.randn(2, module.convs[0].in_channels, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), module(x))
        nhwc = x.contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(scripted(nhwc), module(nhwc))


def test_jit_script_of_an_explicit_permutation():
    module = chain_module((GroupConv(4, 4, 2, 3), Permute(4, perm=(3, 2, 1, 0)), GroupConv(4, 4, 2, 1))).eval()
    scripted = torch.jit.script(module)
    x = torch.randn(3, 4, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), module(x))


def test_bad_chain_layers_are_refused():
    with pytest.raises(SpecError):
        parse_block("chain:W=4/6,G=4")
    with pytest.raises(Exception):
        chain_module(())
