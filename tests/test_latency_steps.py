"""The latency model's torch-free steps are the steps the fast module runs: the same words as
compile_chain for every family and plan, the same map sides as torch, keys that parse back."""

from __future__ import annotations

import pytest

from igcdesign.errors import IGCError
from igcdesign.families import parse_block
from igcdesign.latency.steps import PLANS, Step, conv_out_side, parse_key, plan_steps, plan_words

SPECS = [
    "regular:C=64", "regular:C=16,k=5", "dwsep:C=64", "igcv1:L=4,M=8", "igcv1:L=2,M=16,k=5", "igcv2:K=1x8x8",
    "igcv2:K=4x4x4", "igcv3:C=24", "igcv3:C=32,t=4,G1=4,G2=8", "mobilenetv2:C=24,t=6", "shufflenetv1:C=240,g=3",
    "chain:W=24/144/144/24,G=2/144/2,k=1/3/1,P=s", "chain:W=8/8/8,G=2/4,k=1/1,P=1.0.3.2.5.4.7.6",
    "chain:W=16/16/16,G=4/4,k=3/3,P=4,tail=s", "igcv3:C=16,t=2,s=2", "regular:C=16,s=2", "dwsep:C=16,s=2",
    "igcv1:L=2,M=4,s=2", "chain:W=8/8/8,G=2/4,k=1/1,s=2/1,P=s",
]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("plan", PLANS)
def test_steps_say_what_compile_chain_builds(spec, plan):
    torch = pytest.importorskip("torch")  # noqa: F841
    from igcdesign.probe.fast import compile_chain

    chain = parse_block(spec).chain
    _, words = compile_chain(chain, plan)
    assert plan_words(plan_steps(chain, plan, 8, 1)) == words


def test_plans_are_the_fast_modules_plans():
    pytest.importorskip("torch")
    from igcdesign.probe import fast

    assert PLANS == fast.PLANS


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("plan", PLANS)
def test_every_step_runs_on_the_previous_steps_output(spec, plan):
    """Layouts and shapes chain up: a step's input is what the one before produced."""
    torch = pytest.importorskip("torch")
    from igcdesign.probe.layer_latency import step_input, step_module

    steps = plan_steps(parse_block(spec).chain, plan, 9, 2)
    x = torch.randn(2, steps[0].step.cin, 9, 9)
    for planned in steps:
        s = planned.step
        assert tuple(x.shape) == (2, s.cin, s.hw, s.hw)
        assert bool(x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()) == s.cl_in
        with torch.no_grad():
            x = step_module(s)(x)
        assert tuple(x.shape) == (2, s.cout, s.hw_out, s.hw_out)
        assert tuple(step_input(s, torch.float32).shape) == (2, s.cin, s.hw, s.hw)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("hw", [1, 7, 8, 56])
def test_output_side_is_torchs(k, stride, hw):
    torch = pytest.importorskip("torch")
    from igcdesign.probe.modules import conv_padding

    pad = conv_padding(k, stride)
    conv = torch.nn.Conv2d(1, 1, k, stride=stride, padding=pad)
    if pad != "same" and hw + 2 * pad < k:
        return  # torch refuses a kernel larger than the padded map
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = conv(torch.zeros(1, 1, hw, hw))
    assert out.shape[-1] == conv_out_side(hw, k, stride)


def test_keys_parse_back_to_the_step():
    step = Step("matmul", 64, 32, 8, 1, 1, 28, 8, True, False, 4)
    assert step.key == "matmul ci64 co32 g8 k1 s1 hw28 b8 nhwc>nchw sh4"
    assert parse_key(step.key) == step


@pytest.mark.parametrize("bad", ["", "conv", "conv ci0 co1 g1 k1 s1 hw1 b1 nchw>nchw sh0",
                                 "conv ci6 co6 g4 k1 s1 hw1 b1 nchw>nchw sh0", "conv ci6 co6 g1 k1 s1 hw1 b1 nchw>nchw sh4",
                                 "pool ci6 co6 g1 k1 s1 hw1 b1 nchw>nchw sh0", "conv ci6 co6 g1 k1 s1 hw1 b1 nchw>nchw sh0 "])
def test_malformed_keys_are_refused(bad):
    with pytest.raises(IGCError):
        parse_key(bad)


def test_the_plain_module_runs_every_shuffle_as_a_copy():
    steps = plan_steps(parse_block("igcv1:L=4,M=8").chain, "plain", 8, 1)
    assert [p.step.op for p in steps] == ["conv", "shuffle", "conv", "shuffle"]
    assert not any(p.step.cl_in or p.step.cl_out or p.step.shuffle for p in steps)


def test_each_chain_layer_is_costed_by_exactly_one_step():
    chain = parse_block("igcv1:L=4,M=8").chain
    for plan in PLANS + ("plain",):
        layers = [layer for p in plan_steps(chain, plan, 8, 1) for layer, *_ in p.layers]
        assert sorted(map(id, layers)) == sorted(map(id, chain))
