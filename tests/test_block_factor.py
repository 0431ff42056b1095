"""Block factors: a block's prediction is the sum of its steps times its family's factor, the
median of measured / Σ steps over calibration blocks (a profile built here with explicit
figures; and one real calibration on a tiny block)."""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest

from igcdesign.latency import block_factor, predict
from igcdesign.profile import Fingerprint, Profile, cpu_model, installed_torch_version


def fake_profile(**extra) -> Profile:
    fp = Fingerprint(f"cpu: {cpu_model()}", installed_torch_version(), 1, "float32")
    return Profile(fp, copy_bytes_per_s=6e9, triad_bytes_per_s=8e9, matmul_macs_per_s=2e10, conv_macs_per_s=2e10,
                   call_s=1e-5, **extra)


@pytest.mark.parametrize("ratios", [[1.3], [1.1, 1.5, 1.2], [0.9, 1.4]])
def test_the_prediction_is_the_steps_times_the_median_ratio(ratios):
    bare = fake_profile()
    scaled = replace(bare, block_factors={"igcv1": ratios})
    spec = "igcv1:L=8,M=8,k=3"
    without = predict(spec, hw=16, batch=1, profile=bare)
    with_factor = predict(spec, hw=16, batch=1, profile=scaled)
    factor = statistics.median(ratios)
    assert block_factor(scaled, "igcv1") == factor and block_factor(scaled, "igcv2") == 1.0
    assert with_factor.block_factor == factor
    assert with_factor.predicted_ms == pytest.approx(max(without.predicted_ms * factor, without.floor_ms))
    other = "igcv2:K=1x4x4,k=3"  # another family keeps its bare sum
    assert predict(other, hw=16, profile=scaled).predicted_ms == pytest.approx(predict(other, hw=16, profile=bare).predicted_ms)
    assert predict(spec, hw=16, profile=scaled, composed=False).predicted_ms == pytest.approx(without.predicted_ms)


def test_factors_survive_the_profile_file():
    profile = fake_profile(block_factors={"dwsep": [1.25, 1.5]})
    assert Profile.from_dict(profile.as_dict()).block_factors == {"dwsep": [1.25, 1.5]}


def test_a_bad_factor_is_a_malformed_profile():
    from igcdesign.errors import IGCError

    data = fake_profile(block_factors={"dwsep": [1.25]}).as_dict()
    data["block_factors"]["dwsep"] = [-1]
    with pytest.raises(IGCError, match="malformed"):
        Profile.from_dict(data)


def test_calibrating_a_tiny_block_stores_measured_over_its_steps(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from igcdesign.probe import layer_latency
    from igcdesign.profile import ProfileStore, read_profile

    path = tmp_path / "p.json"
    store = ProfileStore(fake_profile(), path)
    timed = []

    def fake_time_block(spec, *, hw, batch, threads, dtype="float32", min_time=0.05):
        timed.append((spec, hw, batch))
        return 0.5, "mm"

    monkeypatch.setattr(layer_latency, "time_block", fake_time_block)
    ratios = layer_latency.calibrate_blocks(store, blocks={"igcv1": ["igcv1:L=2,M=2,k=3"]}, points=[(4, 1), (6, 2)],
                                            min_time=0.001)
    assert timed == [("igcv1:L=2,M=2,k=3", 4, 1), ("igcv1:L=2,M=2,k=3", 6, 2)]
    saved = read_profile(path)
    expected = [0.5 / predict("igcv1:L=2,M=2,k=3", hw=hw, batch=b, profile=saved, composed=False).plans_ms["mm"]
                for hw, b in [(4, 1), (6, 2)]]
    assert ratios["igcv1"] == pytest.approx(expected) and saved.block_factors["igcv1"] == pytest.approx(expected)
    # every step of the calibration block was measured first: none is interpolated
    assert all(layer.source == "measured" for layer in predict("igcv1:L=2,M=2,k=3", hw=4, profile=saved).layers)


def test_time_block_runs_the_fast_module():
    pytest.importorskip("torch")
    from igcdesign.probe.layer_latency import time_block

    ms, plan = time_block("igcv1:L=2,M=2,k=3", hw=4, batch=1, threads=1, min_time=0.001)
    assert ms > 0 and plan
