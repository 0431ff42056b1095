"""igcdesign.predict_latency: the model's prediction through the facade, on a profile given as an
object, a file, or this machine's (none in tests: the one-line calibrate error)."""

from __future__ import annotations

import pytest

import igcdesign
from igcdesign.latency import predict
from igcdesign.profile import Fingerprint, Profile, save_profile

FP = Fingerprint("cpu: Test CPU", "2.13.0+cpu", 2, "float32")
PROFILE = Profile(FP, 2e9, 4e9, 1e9, 5e8, 1e-5, layer_latency_ms={"matmul ci32 co32 g8 k1 s1 hw8 b1 nchw>nchw sh4": 0.2})


def test_the_facade_gives_the_models_prediction(tmp_path):
    path = save_profile(PROFILE, tmp_path / "p.json")
    direct = predict("igcv1:L=4,M=8", hw=8, profile=PROFILE)
    for given in (PROFILE, path, str(path)):
        result = igcdesign.predict_latency("igcv1:L=4,M=8", hw=8, profile=given)
        assert result == direct
    assert result.predicted_ms >= result.floor_ms > 0
    assert igcdesign.predict_latency(igcdesign.parse("igcv1:L=4,M=8"), hw=8, profile=PROFILE) == direct


def test_without_a_profile_the_error_says_to_calibrate():
    with pytest.raises(igcdesign.IGCError, match="calibrate"):
        igcdesign.predict_latency("igcv1:L=4,M=8")


def test_bad_values_raise_the_clis_errors(tmp_path):
    with pytest.raises(igcdesign.SpecError):
        igcdesign.predict_latency("igcv1:L=4", profile=PROFILE)
    with pytest.raises(igcdesign.IGCError, match="--hw"):
        igcdesign.predict_latency("igcv1:L=4,M=8", hw=0, profile=PROFILE)
    with pytest.raises(igcdesign.IGCError, match="cannot read"):
        igcdesign.predict_latency("igcv1:L=4,M=8", profile=tmp_path / "missing.json")
