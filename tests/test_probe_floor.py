"""The probe's rows carry impl, floor_ms and ratio_to_floor; `--impl plain,fast` times both in
one run; without a profile for the fingerprint there is no floor and a line says how to make one."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from igcdesign.families import parse_block  # noqa: E402
from igcdesign.floor import block_floor  # noqa: E402
from igcdesign.probe.device import device_name  # noqa: E402
from igcdesign.probe.fast import PLANS  # noqa: E402
from igcdesign.profile import Fingerprint, Profile, find_profile, save_profile  # noqa: E402

FAST = ["--min-time", "0.01", "--threads", "1", "--hw", "8"]


def machine_profile(threads=1):
    fp = Fingerprint(device_name("cpu"), str(torch.__version__), threads, "float32")
    profile = Profile(fp, 1e10, 1.2e10, 3e10, 2e10, 4e-6)
    save_profile(profile)
    return profile


def test_rows_carry_impl_and_no_floor_without_a_profile(cli):
    result = cli("probe", "igcv1:L=2,M=4", *FAST, "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["impls"] == ["fast"] and doc["profile"] is None and "igcdesign calibrate" in doc["floor_note"]
    for row in doc["results"]:
        assert row["impl"] == "fast" and row["floor_ms"] is None and row["ratio_to_floor"] is None
        assert row["params_torch"] == row["params"]
    human = cli("probe", "igcv1:L=2,M=4", *FAST)
    assert "no floor:" in " ".join(human.stdout.split())


@pytest.mark.parametrize("batch", ["1", "3"])
def test_floor_and_ratio_with_a_profile(cli, batch):
    profile = machine_profile()
    doc = cli("probe", "igcv2:K=1x4x2", *FAST, "--batch", batch, "--json").json()
    assert doc["profile"] == profile.fingerprint.describe() and doc["floor_note"] is None
    row = next(r for r in doc["results"] if not r["is_baseline"])
    want = block_floor(parse_block("igcv2:K=1x4x2"), 8, profile, "float32", int(batch)).floor_ms
    assert row["floor_ms"] == pytest.approx(want)
    assert row["ratio_to_floor"] == pytest.approx(row["latency_ms"] / want)
    assert "× floor" in cli("probe", "igcv2:K=1x4x2", *FAST, "--batch", batch).stdout


def test_plain_and_fast_in_one_run(cli):
    doc = cli("probe", "igcv1:L=2,M=4", "igcv3:C=4,t=2,G1=2,G2=2", *FAST, "--impl", "plain,fast", "--json").json()
    rows = doc["results"]
    assert doc["impls"] == ["plain", "fast"]
    pairs = {(r["spec"], r["impl"]) for r in rows}
    assert len(rows) == len(pairs) == 6  # baseline and two blocks, each in both implementations
    for r in rows:
        assert (r["plans"] is None) == (r["impl"] == "plain")
        base = next(b for b in rows if b["is_baseline"] and b["impl"] == r["impl"])
        assert r["ratio_to_baseline"] == pytest.approx(r["latency_ms"] / base["latency_ms"])


def test_plan_choices_are_cached_in_the_profile(cli):
    profile = machine_profile()
    cli("probe", "igcv1:L=2,M=4", *FAST, "--baseline", "none", "--json")
    stored = find_profile(profile.fingerprint).profile
    assert len(stored.choices) == 1 and list(stored.choices.values())[0] in PLANS


@pytest.mark.parametrize("impl", ["quick", "", "plain,,"])
def test_bad_impl_is_a_one_line_error(cli, impl):
    result = cli("probe", "igcv1:L=2,M=4", "--impl", impl)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--impl" in result.stderr


def test_networks_measure_fast_with_a_floor(cli):
    machine_profile()
    doc = cli("net", "igcv1-cifar:L=2,M=2,D=8", "--measure", "--min-time", "0.01", "--threads", "1", "--json").json()
    (row,) = doc["latency"]
    assert row["impl"] == "fast" and row["floor_ms"] > 0 and row["ratio_to_floor"] == pytest.approx(row["latency_ms"] / row["floor_ms"])
