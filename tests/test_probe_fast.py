"""Fast modules compute exactly what the plain modules compute, with the same parameters.

Every family (hypothesis draws specs of each, the same strategy the plain modules' tests use),
explicit permutations, strides, both input layouts and batch sizes, with and without BN/ReLU:
float64 outputs equal to 1e-10, float32 to 1e-5. torch.export, jit.trace and jit.script work;
without a GPU, the meta device stands in for CUDA (no step may create a tensor on the CPU).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_probe_modules import family_specs  # noqa: E402

from igcdesign.errors import IGCError  # noqa: E402
from igcdesign.families import parse_block  # noqa: E402
from igcdesign.layers import GroupConv, Permute  # noqa: E402
from igcdesign.probe.fast import (  # noqa: E402
    DEFAULT_PLAN, PLANS, FastChainModule, GroupViewStep, MatmulStep, ShuffleStep, build, compile_chain, fast_module, parse_impls, shuffled,
)
from igcdesign.probe.modules import ChannelShuffle, block_module, chain_module  # noqa: E402

torch.set_num_threads(1)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def randomise_bn(module) -> None:
    """BN with non-trivial statistics and affine parameters, so that equality means something."""
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(-1, 1)
                m.bias.uniform_(-1, 1)


def pair(chain, dtype, bn_relu=False, plan=DEFAULT_PLAN):
    plain = chain_module(chain, bn=bn_relu, relu=bn_relu).to(dtype)
    randomise_bn(plain)
    plain.eval()
    fast = fast_module(chain, bn=bn_relu, relu=bn_relu, plan=plan).to(dtype).load_plain(plain).eval()
    return plain, fast


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def check_equal(chain, dtype, tol, bn_relu, batch, side, channels_last, plan=DEFAULT_PLAN):
    plain, fast = pair(chain, dtype, bn_relu, plan)
    assert n_params(fast) == n_params(plain)
    cin = next(layer.cin for layer in chain if isinstance(layer, GroupConv))
    x = torch.randn(batch, cin, side, side, dtype=dtype)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        want, got = plain(x), fast(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    scale = max(1.0, want.abs().max().item())
    assert (got - want).abs().max().item() <= tol * scale


@SETTINGS
@given(family_specs(), st.booleans(), st.sampled_from([1, 3]), st.integers(1, 6), st.booleans(), st.sampled_from(PLANS))
def test_float64_outputs_equal_to_1e_10(spec, bn_relu, batch, side, channels_last, plan):
    check_equal(parse_block(spec).chain, torch.float64, 1e-10, bn_relu, batch, side, channels_last, plan)


@SETTINGS
@given(family_specs(), st.booleans(), st.sampled_from([1, 2]), st.booleans())
def test_float32_outputs_equal_to_1e_5(spec, bn_relu, batch, channels_last):
    check_equal(parse_block(spec).chain, torch.float32, 1e-5, bn_relu, batch, 5, channels_last)


@SETTINGS
@given(st.data())
def test_explicit_permutations_and_strides(data):
    """Chains the families do not make: explicit permutations, strided convs, two shuffles in a row."""
    c = data.draw(st.sampled_from([4, 6, 8]))
    perm = tuple(data.draw(st.permutations(range(c))))
    g = data.draw(st.sampled_from([d for d in (1, 2) if c % d == 0]))
    stride = data.draw(st.sampled_from([1, 2]))
    k = data.draw(st.sampled_from([1, 3]))
    chain = (GroupConv(c, c, g, 1), Permute(c, perm=perm), GroupConv(c, c, 2, k, stride=stride),
             Permute(c, 2), Permute(c, c // 2), GroupConv(c, 2 * c, 2, 1), Permute(2 * c, 2))
    check_equal(chain, torch.float64, 1e-10, data.draw(st.booleans()), 2, 6, data.draw(st.booleans()),
                data.draw(st.sampled_from(PLANS)))


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
@pytest.mark.parametrize("target_cl", [False, True])
@pytest.mark.parametrize("source_cl", [False, True])
def test_shuffled_is_the_plain_shuffle_in_either_layout(groups, target_cl, source_cl):
    x = torch.randn(2, 6, 3, 4)
    if source_cl:
        x = x.contiguous(memory_format=torch.channels_last)
    y = shuffled(x, groups, target_cl)
    assert torch.equal(y, ChannelShuffle(6, groups)(x))
    assert y.is_contiguous(memory_format=torch.channels_last if target_cl else torch.contiguous_format)


def test_shuffles_become_views_of_the_next_product():
    """IGCV2: every interleave is read through by the next product; none is a step of its own."""
    _, plan = compile_chain(parse_block("igcv2:K=1x4x4x3").chain, "cl+mm")
    assert plan == ["conv 3x3 g=48", "matmul g=12", "matmul g=12 via shuffle 12", "matmul g=16 via shuffle 12"]
    steps, plan = compile_chain(parse_block("igcv1:L=4,M=8").chain, "cl+mm")
    assert plan == ["conv 3x3 g=4 channels-last", "matmul g=8 via shuffle 4", "shuffle 8"]
    assert isinstance(steps[1], MatmulStep) and isinstance(steps[2], ShuffleStep)


def test_parameters_keep_the_plain_shapes_in_chain_order():
    chain = parse_block("igcv3:C=24,t=6,G1=2,G2=2").chain
    plain, fast = pair(chain, torch.float32)
    assert [tuple(w.shape) for w in fast.conv_weights()] == [tuple(c.weight.shape) for c in plain.convs]


def test_load_plain_refuses_another_chain():
    fast = fast_module(parse_block("igcv1:L=4,M=8").chain)
    with pytest.raises(IGCError, match="same chain"):
        fast.load_plain(block_module("igcv1:L=8,M=4"))


def test_export_trace_and_script():
    plain, fast = pair(parse_block("igcv1:L=4,M=8").chain, torch.float32, bn_relu=True)
    x = torch.randn(2, 32, 8, 8)
    with torch.no_grad():
        want = plain(x)
        exported = torch.export.export(fast, (x,))
        assert torch.allclose(exported.module()(x), want, atol=1e-5)
        traced = torch.jit.trace(fast, x)
        assert torch.allclose(traced(x), want, atol=1e-5)
        scripted = torch.jit.script(fast)
        assert torch.allclose(scripted(x), want, atol=1e-5)
        # the script is shape-generic: another batch and map side give the plain answer too
        other = torch.randn(1, 32, 5, 7)
        assert torch.allclose(scripted(other), plain(other), atol=1e-5)


@pytest.mark.parametrize("spec", ["igcv1:L=4,M=8", "igcv2:K=1x4x4x3", "igcv3:C=24,t=6,G1=2,G2=2", "dwsep:C=16"])
def test_runs_on_another_device_without_touching_the_cpu(spec):
    """The meta device stands in for CUDA here: every step must follow its input's device."""
    fast = fast_module(parse_block(spec).chain, bn=True, relu=True).to("meta").eval()
    x = torch.empty(2, fast.conv_weights()[0].shape[1] * _first_groups(spec), 8, 8, device="meta")
    y = fast(x)
    assert y.device.type == "meta" and y.shape[0] == 2


def _first_groups(spec):
    first = next(layer for layer in parse_block(spec).chain if isinstance(layer, GroupConv))
    return first.groups


def test_build_and_parse_impls():
    chain = parse_block("igcv1:L=2,M=2").chain
    assert isinstance(build(chain, "fast"), FastChainModule)
    assert not isinstance(build(chain, "plain"), FastChainModule)
    assert parse_impls("plain, fast,plain") == ("plain", "fast")
    with pytest.raises(IGCError, match="--impl"):
        parse_impls("quick")
    with pytest.raises(IGCError):
        build(chain, "quick")


def test_symbolic_or_empty_chains_are_refused():
    with pytest.raises(IGCError):
        fast_module(())
    with pytest.raises(IGCError, match="concrete"):
        fast_module((GroupConv("C", 4, 1, 1),))


def test_plan_conv_is_the_plain_kernels():
    _, plan = compile_chain(parse_block("igcv1:L=4,M=8").chain, "conv")
    assert plan == ["conv 3x3 g=4", "conv 1x1 g=8 via shuffle 4", "shuffle 8"]
    with pytest.raises(IGCError, match="plan"):
        compile_chain(parse_block("igcv1:L=4,M=8").chain, "fastest")


@pytest.mark.parametrize("spec, layout, plan, words", [
    ("igcv1:L=4,M=8", False, "mm+sv", ["conv 3x3 g=4", "matmul g=8 as 8 view products via shuffle 4 into shuffle 8"]),
    ("igcv1:L=4,M=8", False, "cl+mm+sv", ["conv 3x3 g=4 channels-last",
                                          "matmul g=8 as 8 view products after a layout copy via shuffle 4 into shuffle 8"]),
    ("igcv2:K=1x4x4x3", False, "mm+sv", ["conv 3x3 g=48", "matmul g=12", "matmul g=12 as 4 view products via shuffle 12",
                                          "matmul g=16 as 4 view products via shuffle 12"]),
    ("chain:W=16/32/32,G=4/4,k=3/1,P=i", True, "cl+mm+sv", ["conv 3x3 g=4 channels-last", "matmul g=4 as 4 view products on rows"]),
])
def test_group_views_absorb_the_shuffle_and_the_permute_back(spec, layout, plan, words):
    """IGCV1 under 'sv': the interleave is the view the secondary conv reads, the permute-back the
    view it writes; no step moves data. IGCV2's interleaves (12 groups of 4) are read as 4 slices
    of 3 groups each. After a channels-last conv the products run on NHWC rows
    and leave the map channels-last. Outputs equal the plain module's, with and without autograd."""
    chain = parse_block(spec).chain
    steps, plan_words = compile_chain(chain, plan)
    assert plan_words == words and not any(isinstance(s, ShuffleStep) for s in steps)
    plain, fast = pair(chain, torch.float64, plan=plan)
    x = torch.randn(2, chain[0].cin, 5, 6, dtype=torch.float64)
    with torch.no_grad():
        got = fast(x)
        assert torch.allclose(got, plain(x), atol=1e-10, rtol=0)
        assert got.is_contiguous(memory_format=torch.channels_last) == layout
    x.requires_grad_(True)
    (fast(x) ** 2).sum().backward()
    fast_grads = [w.grad.clone() for w in fast.conv_weights()] + [x.grad.clone()]
    x.grad = None
    (plain(x) ** 2).sum().backward()
    plain_grads = [c.weight.grad for c in plain.convs] + [x.grad]
    for a, b in zip(fast_grads, plain_grads):
        assert torch.allclose(a, b, atol=1e-10, rtol=0)


@pytest.mark.parametrize("spec, plan", [("igcv1:L=4,M=8", "mm+sv"), ("chain:W=32/32/32,G=4/4,k=3/1,P=i", "cl+mm+sv")])
def test_group_views_export_trace_and_script(spec, plan):
    chain = parse_block(spec).chain
    assert any(isinstance(s, GroupViewStep) for s in compile_chain(chain, plan)[0])
    plain, fast = pair(chain, torch.float32, bn_relu=True, plan=plan)
    x = torch.randn(2, 32, 8, 8)
    with torch.no_grad():
        want = plain(x)
        assert torch.allclose(torch.export.export(fast, (x,)).module()(x), want, atol=1e-5)
        assert torch.allclose(torch.jit.trace(fast, x)(x), want, atol=1e-5)
        scripted = torch.jit.script(fast)
        other = torch.randn(1, 32, 5, 7)
        assert torch.allclose(scripted(other), plain(other), atol=1e-5)
    meta = fast_module(chain, plan=plan).to("meta")
    assert meta(torch.empty(2, 32, 8, 8, device="meta")).device.type == "meta"


def _same_weights(plain, fast):
    convs = [m.weight for m in plain.modules() if isinstance(m, torch.nn.Conv2d)]
    mine = [w for m in fast.modules() if isinstance(m, FastChainModule) for w in m.conv_weights()]
    assert [tuple(c.shape) for c in convs] == [tuple(w.shape) for w in mine]
    with torch.no_grad():
        for c, w in zip(convs, mine):
            w.copy_(c)
        fast.classifier.load_state_dict(plain.classifier.state_dict())


@pytest.mark.parametrize("plan", ["cl+mm", "mm+sv", "conv"])
def test_networks_hand_the_permute_back_to_the_next_block(plan):
    """IGCV1 on CIFAR without BN: every block but the last leaves its permute-back to the next
    block's primary conv, which reads through it; the network computes the plain network's
    function (float64, 1e-10), also after the tuner replans its blocks. With BN nothing folds."""
    from igcdesign.probe.networks import build_torch_net

    spec = "igcv1-cifar:L=2,M=2,D=8"
    plain = build_torch_net(spec, resolution=8).double()
    fast = build_torch_net(spec, resolution=8, impl="fast").double()
    _same_weights(plain, fast)
    blocks = [m for m in fast.modules() if isinstance(m, FastChainModule)]
    for block in blocks:
        block.steps = block.replan(plan).steps
    dropped = [b for b in blocks if b.drop_tail]
    assert len(dropped) >= 3 and all(b.shuffle_in for b in blocks[blocks.index(dropped[0]) + 1:])
    assert not any(isinstance(s, ShuffleStep) for b in dropped for s in b.steps)
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(fast(x), plain(x), atol=1e-10, rtol=0)
    with_bn = build_torch_net(spec, resolution=8, impl="fast", bn=True)
    assert not any(m.drop_tail or m.shuffle_in for m in with_bn.modules() if isinstance(m, FastChainModule))


def test_drop_tail_and_shuffle_in_are_checked():
    with pytest.raises(IGCError, match="does not end"):
        fast_module(parse_block("igcv3:C=8,t=2,G1=2,G2=2").chain, drop_tail=True)
    with pytest.raises(IGCError, match="do not divide"):
        fast_module(parse_block("igcv1:L=2,M=2").chain, shuffle_in=3)
    with pytest.raises(IGCError, match="BN"):
        fast_module(parse_block("igcv1:L=2,M=2").chain, drop_tail=True, bn=True)


@SETTINGS
@given(st.integers(1, 4), st.integers(2, 4), st.integers(1, 3), st.sampled_from([3, 5]), st.integers(1, 3),
       st.integers(1, 7), st.integers(1, 7), st.booleans(), st.booleans(), st.sampled_from([1, 3000, None]))
def test_shifted_products_are_the_grouped_conv(groups_half, per_group, out_per_in, k, batch, h, w, channels_last, shuffle,
                                              chunk_bytes):
    """ShiftedStep against nn.Conv2d with the same weight: float64 to 1e-10, on maps as small as
    1×1 (every tap but the centre reads padding), either input layout, with a shuffle read first,
    its taps run over one group at a time, a few, or all of them at once."""
    from igcdesign.probe.fast import ShiftedStep

    groups = 2 * groups_half
    cin, cout = groups * per_group, groups * per_group * out_per_in
    step = ShiftedStep(cin, cout, groups, k, 2 if shuffle else 0).double()
    if chunk_bytes is not None:
        step.chunk_bytes = chunk_bytes
    conv = torch.nn.Conv2d(cin, cout, k, padding=k // 2, groups=groups, bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(step.weight)
    x = torch.randn(batch, cin, h, w, dtype=torch.float64)
    want = conv(ChannelShuffle(cin, 2)(x) if shuffle else x)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        got = step(x)
    assert got.shape == want.shape and got.is_contiguous()
    assert (got - want).abs().max().item() <= 1e-10 * max(1.0, want.abs().max().item())


def test_shifted_products_take_grouped_kxk_convs_only():
    """Rule 'sp': IGCV1's primary conv (groups of several channels) becomes shifted products; a
    channel-wise 3×3 (IGCV3), a dense one, a strided one and an even kernel keep their kernels."""
    from igcdesign.latency.steps import shifts

    words = compile_chain(parse_block("igcv1:L=4,M=8").chain, "sp+mm+sv")[1]
    assert words[0] == "conv 3x3 g=4 as shifted products"
    assert not any("shifted" in w for w in compile_chain(parse_block("igcv3:C=24").chain, "sp+mm")[1])
    assert not any("shifted" in w for w in compile_chain(parse_block("regular:C=16").chain, "sp+mm")[1])
    assert [shifts(3, 1, 4, 32), shifts(3, 2, 4, 32), shifts(4, 1, 4, 32), shifts(1, 1, 4, 32),
            shifts(3, 1, 32, 32), shifts(3, 1, 1, 32)] == [True, False, False, False, False, False]


@pytest.mark.parametrize("plan", ["sp+mm+sv", "sp+mm"])
@pytest.mark.parametrize("chunk_bytes", [1, None])
def test_shifted_products_export_trace_and_script_at_any_batch(plan, chunk_bytes):
    """Traced at batch 1, exported with a dynamic batch (from an example of 2: export fixes a
    size of 1), scripted, then run at batch 3: the batch is not baked in, also where the taps run
    over one group at a time (the runs are of groups, every sample's at once)."""
    from igcdesign.probe.fast import ShiftedStep

    plain, fast = pair(parse_block("igcv1:L=4,M=4").chain, torch.float32, plan=plan)
    for step in fast.steps:
        if isinstance(step, ShiftedStep) and chunk_bytes is not None:
            step.chunk_bytes = chunk_bytes
    x1, x2, x3 = torch.randn(1, 16, 6, 6), torch.randn(2, 16, 6, 6), torch.randn(3, 16, 6, 6)
    with torch.no_grad():
        want = plain(x3)
        traced = torch.jit.trace(fast, x1)
        scripted = torch.jit.script(fast)
        exported = torch.export.export(fast, (x2,), dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=8)},))
        for runner in (traced, scripted, exported.module()):
            assert (runner(x3) - want).abs().max().item() <= 1e-5
