"""`count` shows the floor when this machine has a profile for the fingerprint, and says how to
make one when it has not (no floor, no crash); the floor is the per-layer roofline sum."""

from __future__ import annotations

import pytest

from igcdesign.families import parse_block
from igcdesign.floor import block_floor
from igcdesign.profile import Fingerprint, Profile, cpu_model, installed_torch_version, save_profile


def machine_profile(threads=2, default=True, dtype="float32"):
    version = installed_torch_version() or "none"
    return Profile(Fingerprint(f"cpu: {cpu_model()}", version, threads, dtype), copy_bytes_per_s=1e10,
                   triad_bytes_per_s=1.5e10, matmul_macs_per_s=5e10, conv_macs_per_s=3e10, call_s=5e-6,
                   default_threads=default)


def test_without_a_profile_there_is_no_floor_and_a_hint(cli):
    result = cli("count", "igcv1:L=4,M=8", "--json")
    assert result.exit_code == 0
    doc = result.json()
    assert doc["floor"] is None and "calibrate" in doc["floor_note"]
    human = cli("count", "igcv1:L=4,M=8")
    assert human.exit_code == 0 and "floor ms" not in human.stdout and "igcdesign calibrate" in human.stderr


@pytest.mark.skipif(installed_torch_version() is None, reason="profiles are keyed by the installed torch")
@pytest.mark.parametrize("batch", [1, 32])
def test_with_a_profile_the_floor_is_the_roofline_sum(cli, batch):
    profile = machine_profile()
    save_profile(profile)
    result = cli("count", "igcv2:K=1x4x4x3", "--hw", "16", "--batch", str(batch), "--json")
    doc = result.json()
    want = block_floor(parse_block("igcv2:K=1x4x4x3"), 16, profile, "float32", batch)
    assert doc["floor"]["floor_ms"] == pytest.approx(want.floor_ms)
    assert sum(ms for ms in doc["floor"]["layers_ms"] if ms is not None) == pytest.approx(want.floor_ms)
    assert len(doc["floor"]["layers_ms"]) == len(doc["layers"])
    human = cli("count", "igcv2:K=1x4x4x3", "--hw", "16", "--batch", str(batch))
    assert "floor ms" in human.stdout and f"floor at batch {batch}" in human.stdout and human.stderr == ""


@pytest.mark.skipif(installed_torch_version() is None, reason="profiles are keyed by the installed torch")
def test_a_profile_for_other_threads_is_not_used_silently(cli):
    save_profile(machine_profile(threads=7, default=False))
    doc = cli("count", "igcv1:L=4,M=8", "--json").json()
    assert doc["floor"] is None and "7 threads" in doc["floor_note"]
    assert cli("count", "igcv1:L=4,M=8", "--threads", "7", "--json").json()["floor"] is not None


@pytest.mark.parametrize("args", [["--batch", "0"], ["--threads", "0"], ["--dtype", "int4"]])
def test_bad_floor_options_are_one_line_errors(cli, args):
    result = cli("count", "igcv1:L=4,M=8", *args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
