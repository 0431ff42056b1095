"""`igcdesign latency`: one JSON document, the model's prediction, one-line errors (exit 2), the
model's error (or that it was never measured) printed with every prediction."""

from __future__ import annotations

import json

import pytest

from igcdesign.latency import predict
from igcdesign.profile import Fingerprint, LatencyAccuracy, Profile, read_profile, save_profile

FP = Fingerprint("cpu: Test CPU", "2.13.0+cpu", 1, "float32")
KEY = "matmul ci32 co32 g8 k1 s1 hw8 b2 nchw>nchw sh4"


@pytest.fixture
def profile_file(tmp_path):
    profile = Profile(FP, 2e9, 4e9, 1e9, 5e8, 1e-5, layer_latency_ms={KEY: 0.2})
    return save_profile(profile, tmp_path / "p.json")


def test_json_is_one_document_with_the_models_prediction(cli, profile_file):
    result = cli("latency", "igcv1:L=4,M=8", "dwsep:C=16", "--hw", "8", "--batch", "2", "--profile", str(profile_file), "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    profile = read_profile(profile_file)
    assert [row["spec"] for row in document["results"]] == ["igcv1:L=4,M=8,k=3", "dwsep:C=16,k=3"]
    for row, spec in zip(document["results"], ["igcv1:L=4,M=8", "dwsep:C=16"]):
        expected = predict(spec, hw=8, batch=2, profile=profile)
        assert row["predicted_ms"] == expected.predicted_ms and row["floor_ms"] == expected.floor_ms
        assert [layer["source"] for layer in row["layers"]] == [layer.source for layer in expected.layers]
    assert document["accuracy"] is None and "not been measured" in document["accuracy_text"]
    assert document["measured"] is None and document["layer_shapes"] == 1


def test_text_output_says_how_far_to_trust_it(cli, tmp_path):
    accuracy = LatencyAccuracy(0.123, 0.55, 0.8, 0.9, 150)
    path = save_profile(Profile(FP, 2e9, 4e9, 1e9, 5e8, 1e-5, latency_accuracy=accuracy), tmp_path / "p.json")
    result = cli("latency", "igcv3:C=24", "--profile", str(path))
    assert result.exit_code == 0, result.stderr
    assert "igcv3:C=24,t=6,G1=2,G2=2,k=3: predicted" in result.stdout
    assert "model error: ±12.3 % on this machine, 150 blocks (55 % within ±10 %)" in result.stdout
    document = cli("latency", "igcv3:C=24", "--profile", str(path), "--json").json()
    assert document["accuracy"]["n_blocks"] == 150 and document["accuracy_text"].startswith("±12.3 %")


def test_no_profile_is_one_line_saying_to_calibrate(cli):
    result = cli("latency", "igcv1:L=4,M=8")
    assert result.exit_code == 2 and result.stdout == ""
    assert "igcdesign calibrate" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (["--hw", "0"], "--hw"), (["--hw", "70000"], "--hw"), (["--batch", "0"], "--batch"),
    (["--batch", "100000"], "--batch"), (["--impl", "slow"], "--impl"), (["--min-time", "0"], "--min-time"),
    (["--threads", "0"], "--threads"),
])
def test_bad_options_are_one_line_errors(cli, profile_file, args, message):
    result = cli("latency", "igcv1:L=4,M=8", "--profile", str(profile_file), *args)
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_bad_specs_and_files_are_one_line_errors(cli, profile_file, tmp_path):
    for args in (["igcv1:L=4"], [], ["dwsep:C=8"] * 257, ["igcv1:L=4,M=8", "--profile", str(tmp_path / "none.json")]):
        result = cli("latency", *args, *(["--profile", str(profile_file)] if "--profile" not in args else []))
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, (args, result.stderr)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1}))
    result = cli("latency", "dwsep:C=8", "--profile", str(bad))
    assert result.exit_code == 2 and "machine profile" in result.stderr


def test_measure_layers_then_measure(cli, profile_file):
    pytest.importorskip("torch")
    args = ["latency", "igcv1:L=2,M=4", "--hw", "4", "--profile", str(profile_file), "--min-time", "0.01", "--json"]
    document = cli(*args, "--measure-layers", "--measure").json()
    (row,) = document["results"]
    assert {layer["source"] for layer in row["layers"]} == {"measured"}
    assert row["measured_ms"] > 0 and row["error"] == pytest.approx(row["predicted_ms"] / row["measured_ms"] - 1)
    assert document["measured"]["threads"] == 1
    assert len(read_profile(profile_file).layer_latency_ms) > 1


def test_seed_measures_the_grid_into_the_profile(cli, profile_file, monkeypatch):
    pytest.importorskip("torch")
    from igcdesign.latency.steps import Step
    from igcdesign.probe import layer_latency

    grid = [Step("matmul", 8, 8, 2, 1, 1, 4, 1, False, False), Step("shuffle", 8, 8, 2, 1, 1, 4, 1, False, False)]
    monkeypatch.setattr(layer_latency, "seed_steps", lambda *a, **k: grid)
    monkeypatch.setattr(layer_latency, "CALIBRATION_BLOCKS", {"igcv1": ("igcv1:L=2,M=2,k=3",)})
    monkeypatch.setattr(layer_latency, "CALIBRATION_POINTS", ((4, 1),))
    result = cli("latency", "--seed", "--profile", str(profile_file), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["results"] == [] and "latency --seed: 2/2" in result.stderr
    profile = read_profile(profile_file)
    assert {s.key for s in grid} <= set(profile.layer_latency_ms)
    assert list(profile.block_factors) == ["igcv1"] and len(profile.block_factors["igcv1"]) == 1
