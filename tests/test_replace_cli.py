"""`igcdesign replace`: the drop-ins of a block, by predicted latency (on a stored profile built
here with explicit figures and a synthetic layer table) and by width; --measure times them."""

from __future__ import annotations

import pytest

from igcdesign.latency import predict, steps_of
from igcdesign.profile import Fingerprint, Profile, cpu_model, installed_torch_version, save_profile
from igcdesign.replacement import candidates


def fake_profile(table=None) -> Profile:
    """This machine's fingerprint at torch's default threads, with round figures (no calibration)."""
    fp = Fingerprint(f"cpu: {cpu_model()}", installed_torch_version(), 2, "float32")
    return Profile(fp, copy_bytes_per_s=2e9, triad_bytes_per_s=4e9, matmul_macs_per_s=1e9, conv_macs_per_s=5e8,
                   call_s=1e-5, default_threads=True, layer_latency_ms=dict(table or {}))


def slowed(spec: str, hw: int, batch: int, ms: float = 1000.0) -> dict:
    """A layer table in which every step of `spec` was 'measured' at `ms`."""
    return {step.key: ms for step in steps_of(spec, hw=hw, batch=batch)}


def test_without_a_profile_it_ranks_by_width_and_says_why(cli):
    result = cli("replace", "regular:C=16,k=3", "--hw", "8", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["by_latency"] is None and doc["profile"] is None
    assert "calibrate" in doc["profile_note"]
    assert doc["max_params"] == doc["spec_params"] == 16 * 16 * 9
    found = candidates(16, 16, k=3, max_params=16 * 16 * 9, hw=8)
    assert doc["count"] == len(found)
    assert [row["spec"] for row in doc["by_width"]] == [c.spec for c in found[:10]]
    text = cli("replace", "regular:C=16,k=3", "--hw", "8")
    assert text.exit_code == 0 and "ranked by width only" in text.stdout


def test_with_a_profile_it_ranks_by_predicted_latency(cli):
    spec, hw = "regular:C=8,k=3", 8
    found = candidates(8, 8, k=3, max_params=8 * 8 * 9, hw=hw)
    slow = next(c.spec for c in found if c.family == "igcv1")
    save_profile(fake_profile(slowed(slow, hw, 1)))
    result = cli("replace", spec, "--hw", str(hw), "--batch", "1,4", "--top", "100", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    profile = fake_profile(slowed(slow, hw, 1))
    ranked = doc["by_latency"]
    assert len(found) <= 100 and len(ranked) == len(found)
    times = [row["predicted_ms"] for row in ranked]
    assert times == sorted(times)
    model = {c.spec: predict(c.block, hw=hw, batch=1, profile=profile).predicted_ms for c in found}
    assert times == pytest.approx(sorted(model.values())[:len(ranked)], rel=1e-9)  # the fastest, as the model predicts each
    slow_row = next(row for row in ranked if row["spec"] == slow)
    assert slow_row["predicted_ms"] >= 1000  # its steps were 'measured' at 1 s each
    own = {b: predict(spec, hw=hw, batch=b, profile=profile).predicted_ms for b in (1, 4)}
    for row in ranked:
        for p in row["predicted"]:
            assert p["predicted_ms"] == pytest.approx(predict(row["spec"], hw=hw, batch=p["batch"], profile=profile).predicted_ms)
            assert p["ratio_to_spec"] == pytest.approx(p["predicted_ms"] / own[p["batch"]])
    assert [row["spec"] for row in ranked if row["is_spec"]] == [row["spec"] for row in ranked if row["spec"] == spec]
    text = cli("replace", spec, "--hw", str(hw), "--top", "3")
    assert text.exit_code == 0 and "fastest by predicted latency" in text.stdout and "model error" in text.stdout


def test_candidates_rank_by_the_profile():
    found = candidates(16, 16, k=3, max_params=2304, hw=8, profile=fake_profile(), batch=2)
    assert all(c.batch == 2 for c in found)
    assert [c.predicted_ms for c in found] == sorted(c.predicted_ms for c in found)


def test_max_params_bounds_every_candidate(cli):
    doc = cli("replace", "regular:C=32,k=3", "--hw", "8", "--max-params", "3k", "--top", "100", "--json").json()
    assert doc["max_params"] == 3000 and doc["max_params_from"] == "given"
    assert doc["by_width"] and all(row["params"] <= 3000 for row in doc["by_width"])
    assert not any(row["is_spec"] for row in doc["by_width"])


def test_widths_that_change_keep_to_igcv3(cli):
    doc = cli("replace", "igcv3:C=16,t=2,G1=2,G2=2,Cout=32", "--hw", "8", "--json").json()
    assert (doc["cin"], doc["cout"]) == (16, 32)
    assert {row["family"] for row in doc["by_width"]} <= {"igcv3", "mobilenetv2"}


@pytest.mark.parametrize("args", [
    ["regular:C=0"], ["nope:C=4"], ["regular:C=16", "--top", "0"], ["regular:C=16", "--top", "101"],
    ["regular:C=16", "--max-params", "lots"], ["regular:C=16", "--batch", "0"], ["regular:C=16", "--hw", "0"],
    ["regular:C=16", "--family", "igcv9"], ["regular:C=16", "--measure", "--min-time", "0"],
])
def test_bad_input_is_one_line_exit_2(cli, args):
    for extra in ([], ["--json"]):
        result = cli("replace", *args, *extra)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_too_many_configurations_is_one_line(cli):
    result = cli("replace", "regular:C=4096,k=3", "--json")
    assert result.exit_code == 2 and result.stdout == "" and "configurations" in result.stderr


def test_measure_times_the_top_blocks_against_the_spec(cli):
    pytest.importorskip("torch")
    save_profile(fake_profile())
    result = cli("replace", "regular:C=8,k=3", "--hw", "8", "--top", "1", "--measure", "--min-time", "0.01",
                 "--threads", "1", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["measurement"]["baseline"]["spec"] == "regular:C=8,k=3"
    for row in doc[doc["measured_ranking"]]:
        (measured,) = row["measured"]
        assert measured["latency_ms"] > 0
        if not row["is_spec"]:
            assert measured["ratio_to_baseline"] > 0
