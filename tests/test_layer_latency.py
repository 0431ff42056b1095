"""Measuring the layer table (torch): measure_missing times each missing step shape once, stores
it in the profile and saves it; what is there already is not measured again."""

from __future__ import annotations

import pytest

from igcdesign.errors import IGCError
from igcdesign.latency import predict, steps_of
from igcdesign.profile import Fingerprint, Profile, ProfileStore, read_profile

torch = pytest.importorskip("torch")

from igcdesign.probe import layer_latency  # noqa: E402
from igcdesign.probe.layer_latency import measure_missing, seed_steps  # noqa: E402

FP = Fingerprint("cpu: Test CPU", "2.13.0+cpu", 1, "float32")


def store(tmp_path, **extra) -> ProfileStore:
    return ProfileStore(Profile(FP, 2e9, 4e9, 1e9, 5e8, 1e-5, **extra), tmp_path / "p.json")


def test_measure_missing_measures_each_shape_once_and_saves(tmp_path):
    s = store(tmp_path)
    blocks = ["igcv1:L=2,M=4", "igcv1:L=2,M=4", "dwsep:C=8"]
    new = measure_missing(blocks, hw=4, batch=1, store=s, min_time=0.001)
    expected = {step.key for b in blocks for step in steps_of(b, hw=4, batch=1)}
    assert set(new) == expected and all(ms > 0 for ms in new.values())
    assert read_profile(tmp_path / "p.json").layer_latency_ms == new
    result = predict("igcv1:L=2,M=4", hw=4, profile=s.profile)
    assert {layer.source for layer in result.layers} == {"measured"}
    assert measure_missing(blocks, hw=4, batch=1, store=s, min_time=0.001) == {}


def test_timing_is_called_once_per_missing_shape(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(layer_latency, "time_step", lambda step, **kw: calls.append(step.key) or 1.0)
    s = store(tmp_path)
    first = steps_of("igcv3:C=8,t=2", hw=4, batch=2)
    s.save(s.profile.__class__(**{**s.profile.__dict__, "layer_latency_ms": {first[0].key: 0.5}}))
    new = measure_missing(["igcv3:C=8,t=2"], hw=4, batch=2, store=s)
    assert first[0].key not in calls and len(calls) == len(set(calls)) == len(first) - 1 == len(new)


def test_no_profile_no_measurement(tmp_path):
    with pytest.raises(IGCError, match="calibrate"):
        measure_missing(["dwsep:C=8"], hw=4, batch=1, store=ProfileStore(None))


def test_a_step_too_large_is_refused_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(layer_latency, "time_step", lambda *a, **k: pytest.fail("measured"))
    with pytest.raises(IGCError, match="lower --batch or --hw"):
        measure_missing(["regular:C=1024"], hw=4096, batch=8, store=store(tmp_path))


def test_the_seeding_grid_covers_every_kind_of_step_the_families_run():
    from igcdesign.families import parse_block
    from igcdesign.latency.steps import PLANS, plan_steps

    kinds = {step.kind for step in seed_steps()}
    specs = ["regular:C=64", "dwsep:C=64", "igcv1:L=4,M=8", "igcv2:K=1x8x8", "igcv3:C=24", "mobilenetv2:C=24",
             "shufflenetv1:C=240,g=3"]
    for spec in specs:
        for plan in PLANS:
            for planned in plan_steps(parse_block(spec).chain, plan, 8, 1):
                assert planned.step.kind in kinds, (spec, plan, planned.step.key)


def test_rounds_keep_the_least_disturbed_measurement(tmp_path, monkeypatch):
    times = iter([3.0, 5.0, 2.0, 7.0, 4.0, 1.0])  # two steps, three rounds, round after round
    monkeypatch.setattr(layer_latency, "time_step", lambda step, **kw: next(times))
    from igcdesign.latency.steps import Step

    steps = [Step("matmul", 8, 8, 2, 1, 1, 4, 1, False, False), Step("shuffle", 8, 8, 2, 1, 1, 4, 1, False, False)]
    new = layer_latency.measure_steps(steps, store(tmp_path), rounds=3)
    assert new == {steps[0].key: 2.0, steps[1].key: 1.0}
    with pytest.raises(IGCError, match="rounds"):
        layer_latency.measure_steps(steps, store(tmp_path), rounds=0)
