"""`widest --latency-budget`: the widest block predicted within a time (on a profile built here
with explicit figures), the bound that bit, and the measurement deciding (probe mocked)."""

from __future__ import annotations

import pytest

from igcdesign.errors import IGCError
from igcdesign.latency import predict
from igcdesign.numbers import parse_duration
from igcdesign.profile import Fingerprint, Profile, cpu_model, installed_torch_version, save_profile
from igcdesign.search import widest_family
from igcdesign.timed_search import widest_within_time

FAMILIES = ["regular", "dwsep", "igcv1", "igcv2", "igcv3"]


def fake_profile() -> Profile:
    fp = Fingerprint(f"cpu: {cpu_model()}", installed_torch_version(), 2, "float32")
    return Profile(fp, copy_bytes_per_s=6e9, triad_bytes_per_s=8e9, matmul_macs_per_s=2e10, conv_macs_per_s=2e10,
                   call_s=1e-5, default_threads=True)


@pytest.mark.parametrize("text, seconds", [("0.5ms", 5e-4), ("500us", 5e-4), ("500µs", 5e-4), ("0.0005s", 5e-4),
                                           ("2 ms", 2e-3), ("1e-3s", 1e-3), ("60s", 60.0)])
def test_times_parse_with_their_units(text, seconds):
    assert parse_duration(text, "--latency-budget") == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize("text", ["0.5", "ms", "0ms", "61s", "-1ms", "1e999s", "nan ms", "0.5 MS", "x" * 200, ""])
def test_bad_times_are_refused(text):
    with pytest.raises(IGCError, match="--latency-budget"):
        parse_duration(text, "--latency-budget")


@pytest.mark.parametrize("budget_ms", [0.05, 0.2])
def test_no_wider_parameter_optimum_is_predicted_within_the_time(budget_ms):
    profile = fake_profile()
    results = {r.family: r for r in widest_within_time(budget_ms / 1e3, hw=8, batch=1, profile=profile,
                                                        families=FAMILIES)}
    for family, result in results.items():
        chosen = result.chosen
        assert chosen is not None and result.bound == "time"
        assert chosen["predicted_ms"] == pytest.approx(predict(chosen["spec"], hw=8, batch=1, profile=profile).predicted_ms)
        assert chosen["predicted_ms"] <= budget_ms
        widths = [c["width"] for c in result.candidates]
        assert widths == sorted(widths, reverse=True)
        T = 2
        while T <= result.searched_params:  # a grid of budgets up to what the search covers: none wider fits
            found = widest_family(family, T, 3)
            if found.spec:
                ms = predict(found.spec, hw=8, batch=1, profile=profile).predicted_ms
                if ms <= budget_ms:
                    assert found.width <= chosen["width"], (family, T, found.spec, chosen)
            T = T * 5 // 4 + 1


def test_with_params_the_bound_that_bites_is_named():
    profile = fake_profile()
    results = {r.family: r for r in widest_within_time(1.0e-3, hw=8, batch=1, profile=profile, params=2000,
                                                        families=FAMILIES)}
    for family, result in results.items():
        optimum = widest_family(family, 2000, 3)
        ms = predict(optimum.spec, hw=8, batch=1, profile=profile).predicted_ms
        if ms <= 1.0:
            assert result.bound == "params" and result.chosen["spec"] == optimum.spec
        else:
            assert result.bound == "time" and result.chosen["params"] <= 2000
    tight = widest_within_time(0.02e-3, hw=56, batch=8, profile=profile, params=10**6, families=["regular"])
    assert tight[0].bound in ("time", None)


def test_no_profile_is_one_line(cli):
    result = cli("widest", "--latency-budget", "0.5ms", "--verify", "0")
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "calibrate" in result.stderr


@pytest.mark.parametrize("args", [["--latency-budget", "0.5"], ["--latency-budget", "100s"], [],
                                  ["--latency-budget", "1ms", "--measure"], ["--latency-budget", "1ms", "--verify", "11"],
                                  ["--latency-budget", "1ms", "--hw", "0"]])
def test_bad_options_are_one_line_exit_2(cli, args):
    save_profile(fake_profile())
    result = cli("widest", *args, "--verify", "0") if "--verify" not in args else cli("widest", *args)
    assert result.exit_code == 2, (args, result.stdout)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_cli_predicted_only_is_one_json_document(cli):
    save_profile(fake_profile())
    result = cli("widest", "--latency-budget", "300us", "-p", "5k", "--hw", "8", "--verify", "0", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["latency_budget_ms"] == pytest.approx(0.3) and doc["budget"] == 5000 and doc["verified"] is False
    api = {r.family: r for r in __import__("igcdesign.api", fromlist=["widest"]).widest(
        "5k", latency_budget="300us", hw=8, profile=fake_profile())}
    for row in doc["results"]:
        assert row["spec"] == api[row["family"]].chosen["spec"]
        assert row["bound"] in ("params", "time")
    text = cli("widest", "--latency-budget", "300us", "-p", "5k", "--hw", "8", "--verify", "0")
    assert "predicted ms" in text.stdout and "bound" in text.stdout and "nothing was measured" in text.stdout


def test_the_measurement_decides(cli, monkeypatch):
    """The widest candidate measured over the time gives way to the next one that fits."""
    import igcdesign.probe.measure as measure

    save_profile(fake_profile())
    budget_ms = 0.1
    too_slow: set[str] = set()

    def fake_probe(specs, settings, baseline=None, progress=None):
        rows = []
        for i, spec in enumerate(specs):
            slow = spec.startswith("igcv1") and not too_slow
            if slow:
                too_slow.add(spec)
            rows.append({"spec": spec, "latency_ms": budget_ms * (2 if slow else 0.5), "iqr_ms": 0.0, "batch": 1,
                         "is_baseline": False})
        return {"results": rows, "baseline": None}

    monkeypatch.setattr(measure, "probe", fake_probe)
    monkeypatch.setattr(measure, "settings_from_options", lambda *a, **k: measure.ProbeSettings(hw=8))
    monkeypatch.setattr(measure, "context", lambda document: {"device": "fake"})
    result = cli("widest", "--latency-budget", "0.1ms", "--hw", "8", "--verify", "2", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {r["family"]: r for r in result.json()["results"]}
    igcv1 = rows["igcv1"]
    assert [c["spec"] for c in igcv1["candidates"]][0] in too_slow
    assert igcv1["spec"] == igcv1["candidates"][1]["spec"] and igcv1["measured_ms"] <= budget_ms
    assert rows["regular"]["spec"] == rows["regular"]["candidates"][0]["spec"]
    assert all(len(r["candidates"]) <= 2 for r in rows.values())
