"""The latency model on synthetic layer tables: interpolation against hand-computed values, the
floor as a lower bound (hypothesis), the block floor equal to the roofline floor `count` shows."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.errors import IGCError
from igcdesign.families import parse_block
from igcdesign.floor import block_floor
from igcdesign.latency import predict, predict_total, steps_of
from igcdesign.latency.model import LayerModel, interpolate, work_floor_s
from igcdesign.latency.steps import PLANS, Step, plan_steps
from igcdesign.profile import Fingerprint, LatencyAccuracy, Profile

FP = Fingerprint("cpu: Test CPU", "2.13.0+cpu", 2, "float32")


def profile(table=None, accuracy=None) -> Profile:
    # peak 1e9 MAC/s, bandwidth 4e9 B/s (triad), call 10 µs: round numbers for hand arithmetic
    return Profile(FP, copy_bytes_per_s=2e9, triad_bytes_per_s=4e9, matmul_macs_per_s=1e9, conv_macs_per_s=5e8,
                   call_s=1e-5, layer_latency_ms=dict(table or {}), latency_accuracy=accuracy)


def matmul(hw: int, batch: int = 1) -> Step:
    return Step("matmul", 64, 64, 1, 1, 1, hw, batch, False, False)


def test_work_floor_is_the_roofline_of_the_steps_shape():
    # 64·64·16² = 1,048,576 MACs at 1e9/s = 1.048576 ms ≥ (2·64·256 + 4096)·4 B / 4e9 B/s; + 10 µs
    assert work_floor_s(matmul(16), profile()) == pytest.approx(1.048576e-3 + 1e-5, rel=1e-12)
    # a shuffle of 64 channels on 8×8: 2·64·64·4 B / 4e9 + 10 µs
    assert work_floor_s(Step("shuffle", 64, 64, 8, 1, 1, 8, 1, False, False), profile()) == pytest.approx(
        2 * 64 * 64 * 4 / 4e9 + 1e-5, rel=1e-12)
    # a conv that reads a shuffle: one more pass over its input map (2·64·256 elements)
    conv = Step("conv", 64, 64, 64, 3, 1, 16, 1, False, False, 8)
    moved = (64 * 256 + 64 * 256 + 64 * 9 + 2 * 64 * 256) * 4 / 4e9
    assert work_floor_s(conv, profile()) == pytest.approx(max(64 * 9 * 256 / 1e9, moved) + 1e-5, rel=1e-12)


def test_a_measured_step_is_its_measurement():
    key = matmul(16).key
    p = profile({key: 3.0})
    model = LayerModel(p)
    estimate = model.estimate(matmul(16), 1e-3)
    assert estimate.source == "measured" and estimate.predicted_s == pytest.approx(3e-3, rel=1e-12)


def test_between_two_neighbours_an_octave_away_the_ratio_is_their_geometric_mean():
    # floors (hand): hw 8: 262,144 MACs → 0.262144 ms + 0.01 = 0.272144 ms; hw 32: 4.194304 + 0.01 ms
    table = {matmul(8).key: 2 * 0.272144, matmul(32).key: 8 * 4.204304}
    estimate = LayerModel(profile(table)).estimate(matmul(16), 0.0)
    assert estimate.source == "interpolated"
    # ratio √(2·8) = 4 at hw 16, whose floor is 1.058576 ms
    assert estimate.predicted_s * 1e3 == pytest.approx(4 * 1.058576, rel=1e-9)


def test_one_neighbour_gives_its_ratio_everywhere():
    table = {matmul(8).key: 3 * 0.272144}
    estimate = LayerModel(profile(table)).estimate(matmul(16, batch=8), 0.0)
    # batch 8 on 16×16: 8,388,608 MACs → 8.388608 ms, + 0.01
    assert estimate.predicted_s * 1e3 == pytest.approx(3 * 8.398608, rel=1e-9)


def test_inverse_squared_distance_weights():
    # distances 1 and 2: weights 1 and 1/4 → (1·0 + ¼·3) / 1.25 = 0.6
    assert interpolate([((0.0,), 0.0), ((3.0,), 3.0)], (1.0,)) == pytest.approx(0.6, rel=1e-12)
    # only the `neighbours` nearest count: the far point is ignored
    assert interpolate([((0.0,), 1.0), ((2.0,), 1.0), ((100.0,), 50.0)], (1.0,), neighbours=2) == pytest.approx(1.0)
    assert interpolate([((0.0, 0.0), 5.0), ((1.0, 1.0), 7.0)], (0.0, 0.0)) == 5.0


def test_other_kinds_are_not_neighbours_while_the_kind_has_points():
    grouped = Step("matmul", 64, 64, 8, 1, 1, 16, 1, False, False)
    table = {matmul(8).key: 2 * 0.272144, Step("matmul", 64, 64, 8, 1, 1, 8, 1, False, False).key: 1.0}
    model = LayerModel(profile(table))
    assert model.ratio(matmul(16))[0] == pytest.approx(2.0, rel=1e-9)
    # a kind with no measured point borrows from its operation's points
    assert model.ratio(Step("matmul", 64, 64, 8, 1, 1, 16, 1, True, False, 4))[1] == "interpolated"
    assert model.ratio(grouped)[1] == "interpolated"


def test_without_any_measurement_the_prediction_is_the_floor():
    p = profile()
    result = predict("igcv1:L=4,M=8", hw=16, profile=p)
    assert {layer.source for layer in result.layers} == {"floor"}
    assert result.predicted_ms == pytest.approx(result.floor_ms, rel=1e-12)


@pytest.mark.parametrize("spec", ["regular:C=64", "igcv1:L=4,M=8", "igcv3:C=24", "shufflenetv1:C=240,g=3",
                                  "igcv2:K=1x8x8", "chain:W=8/8/8,G=2/4,k=1/1,P=1.0.3.2.5.4.7.6"])
@pytest.mark.parametrize("impl", ["fast", "plain"])
@pytest.mark.parametrize("batch", [1, 8])
def test_the_block_floor_is_the_roofline_floor_count_reports(spec, impl, batch):
    p = profile()
    expected = block_floor(parse_block(spec), 14, p, batch=batch).floor_ms
    assert predict(spec, hw=14, batch=batch, impl=impl, profile=p).floor_ms == pytest.approx(expected, rel=1e-12)


def test_fast_predicts_the_fastest_plan_and_names_it():
    steps = steps_of("igcv1:L=4,M=8", hw=8, batch=1)
    table = {s.key: 1.0 for s in steps}  # every step 1 ms: the plan with the fewest steps wins
    result = predict("igcv1:L=4,M=8", hw=8, profile=profile(table))
    fewest = min(len(plan_steps(parse_block("igcv1:L=4,M=8").chain, plan, 8, 1)) for plan in PLANS)
    assert fewest == 2  # the sv plans: primary conv, then the secondary products reading and writing through views
    assert result.predicted_ms == min(result.plans_ms.values()) == pytest.approx(float(fewest))
    assert {layer.source for layer in result.layers} == {"measured"}
    assert result.plans_ms[result.plan] == result.predicted_ms


def test_a_network_is_the_sum_of_its_blocks():
    p = profile({matmul(8).key: 1.0})
    specs = ["igcv1:L=4,M=8", "dwsep:C=64", "igcv3:C=24"]
    assert predict_total(specs, hw=8, profile=p) == pytest.approx(
        sum(predict(s, hw=8, profile=p).predicted_ms for s in specs), rel=1e-12)


def test_accuracy_travels_with_the_prediction():
    accuracy = LatencyAccuracy(mape=0.08, within_10=0.7, within_20=0.9, spearman=0.97, n_blocks=120)
    result = predict("dwsep:C=64", profile=profile(accuracy=accuracy))
    assert result.accuracy == accuracy
    assert accuracy.describe() == "±8.0 % on this machine, 120 blocks (70 % within ±10 %)"
    assert predict("dwsep:C=64", profile=profile()).accuracy is None


@pytest.mark.parametrize("kwargs", [{"hw": 0}, {"hw": 1 << 17}, {"batch": 0}, {"batch": 1 << 17}, {"impl": "slow"},
                                    {"hw": 3.5}, {"batch": True}])
def test_bad_sizes_are_refused(kwargs):
    with pytest.raises(IGCError):
        predict("dwsep:C=64", profile=profile(), **kwargs)


def test_no_profile_says_to_calibrate():
    with pytest.raises(IGCError, match="calibrate"):
        predict("dwsep:C=64")


def test_predicting_imports_no_torch():
    import subprocess
    import sys

    code = ("import sys; from igcdesign.latency import predict; from igcdesign.profile import *; "
            "p = Profile(Fingerprint('cpu: x', 't', 1, 'float32'), 1e9, 1e9, 1e9, 1e9, 1e-5); "
            "predict('igcv3:C=24', profile=p); assert 'torch' not in sys.modules, 'torch'")
    subprocess.run([sys.executable, "-c", code], check=True)


STEP_KEYS = st.builds(
    lambda op, ci, co, g, hw, b, cl, sh: Step(op, ci * g, co * g, g, 1 if op == "matmul" else 3, 1, hw, b, cl, False,
                                              2 if sh and ci * g % 2 == 0 else 0).key,
    st.sampled_from(["conv", "matmul"]), st.integers(1, 16), st.integers(1, 16), st.sampled_from([1, 2, 4, 8]),
    st.integers(1, 64), st.sampled_from([1, 2, 8]), st.booleans(), st.booleans())


@settings(max_examples=60, deadline=None)
@given(table=st.dictionaries(STEP_KEYS, st.floats(1e-6, 1e3), max_size=12),
       L=st.integers(1, 8), M=st.integers(1, 8), hw=st.integers(1, 64), batch=st.integers(1, 16),
       impl=st.sampled_from(["fast", "plain"]))
def test_never_below_the_floor(table, L, M, hw, batch, impl):
    p = profile(table)
    for spec in (f"igcv1:L={L},M={M}", f"igcv3:C={4 * L},G1=2,G2=2", f"dwsep:C={L * M}"):
        result = predict(spec, hw=hw, batch=batch, impl=impl, profile=p)
        for layer in result.layers:
            assert layer.predicted_ms >= layer.floor_ms and math.isfinite(layer.predicted_ms)
        assert result.predicted_ms >= result.floor_ms * (1 - 1e-12)


@pytest.mark.parametrize("spec", ["regular:C=16,s=2", "dwsep:C=16,s=2", "igcv3:C=16,t=2,s=2", "igcv1:L=2,M=4,s=3",
                                  "chain:W=8/8/8,G=2/4,k=3/1,s=2/1,P=s"])
def test_a_strided_block_is_costed_at_each_layers_output_map(spec):
    from igcdesign.floor import walk_floor
    from igcdesign.layers import layer_sides

    p = profile()
    chain = parse_block(spec).chain
    expected = walk_floor(((layer, out * out) for layer, _, out in layer_sides(chain, 15)), p, batch=2).floor_ms
    for impl in ("fast", "plain"):
        assert predict(spec, hw=15, batch=2, impl=impl, profile=p).floor_ms == pytest.approx(expected, rel=1e-12)


def test_a_stride_larger_than_the_map_is_refused():
    with pytest.raises(IGCError, match="stride"):
        predict("regular:C=16,s=4", hw=2, profile=profile())


def test_a_plan_with_a_step_the_table_lacks_does_not_win_at_its_floor():
    """A table measured before the shifted products existed has no 'shifted' step: those plans
    would be costed at their floor and look fastest. They are not chosen over plans the table
    knows, and their figure is still reported."""
    steps = [s for s in steps_of("igcv1:L=4,M=8", hw=8, batch=1) if s.op != "shifted"]
    result = predict("igcv1:L=4,M=8", hw=8, profile=profile({s.key: 1.0 for s in steps}))
    assert not result.plan.startswith("sp") and {layer.source for layer in result.layers} == {"measured"}
    assert "sp+mm+sv" in result.plans_ms
