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
                         "is_baseline": False, "round_medians_ms": [budget_ms * (2 if slow else 0.5)] * settings.rounds})
        return {"results": rows, "baseline": None}

    monkeypatch.setattr(measure, "probe", fake_probe)
    monkeypatch.setattr(measure, "settings_from_options", lambda *a, **k: measure.ProbeSettings(hw=8))
    monkeypatch.setattr(measure, "context", lambda document: {"device": "fake"})
    result = cli("widest", "--latency-budget", "0.1ms", "--hw", "8", "--verify", "2", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {r["family"]: r for r in result.json()["results"]}
    igcv1 = rows["igcv1"]
    assert too_slow and too_slow <= {c["spec"] for c in igcv1["candidates"]}
    assert igcv1["spec"] not in too_slow and igcv1["measured_ms"] <= budget_ms * 0.95
    fitting = [c for c in igcv1["candidates"] if c["measured_ms"] <= budget_ms * 0.95]
    assert igcv1["width"] == max(c["width"] for c in fitting)
    assert rows["regular"]["spec"] == rows["regular"]["candidates"][0]["spec"]
    assert all(len(r["candidates"]) <= 2 for r in rows.values())


def test_a_candidate_fits_only_when_its_slowest_round_does(cli, monkeypatch):
    """Three rounds: a block whose best round fits but whose slowest does not is not chosen."""
    import igcdesign.probe.measure as measure

    save_profile(fake_profile())
    budget_ms = 0.1
    seen_rounds = []

    def fake_probe(specs, settings, baseline=None, progress=None):
        seen_rounds.append(settings.rounds)
        rows = [{"spec": spec, "latency_ms": 0.5 * budget_ms, "iqr_ms": 0.0, "batch": 1, "is_baseline": False,
                 "round_medians_ms": [0.5 * budget_ms, (1.5 if spec.startswith("regular") else 0.6) * budget_ms, 0.5 * budget_ms]}
                for spec in specs]
        return {"results": rows, "baseline": None}

    monkeypatch.setattr(measure, "probe", fake_probe)
    monkeypatch.setattr(measure, "settings_from_options", lambda *a, **k: measure.ProbeSettings(hw=8, rounds=a[4]))
    monkeypatch.setattr(measure, "context", lambda document: {"device": "fake"})
    result = cli("widest", "--latency-budget", "0.1ms", "--hw", "8", "--verify", "1", "--json", "-f", "regular,igcv1")
    assert result.exit_code == 0, result.stderr
    rows = {r["family"]: r for r in result.json()["results"]}
    assert seen_rounds and min(seen_rounds) >= 3
    assert rows["igcv1"]["measured_ms"] == pytest.approx(0.6 * budget_ms)
    regular = rows["regular"]
    assert all(c["measured_ms"] == pytest.approx(1.5 * budget_ms) for c in regular["candidates"])
    assert regular["spec"] is None or regular["measured_ms"] <= 0.95 * budget_ms


def _search(budget_ms: float, family: str, profile, verify: int = 2):
    return widest_within_time(budget_ms / 1e3, hw=8, batch=1, profile=profile, families=[family], verify=verify)[0]


@pytest.mark.parametrize("family, slowdown", [("igcv1", 3.0), ("regular", 1.6), ("igcv2", 2.2)])
def test_steps_down_until_a_measured_block_fits(family, slowdown):
    """A model that runs `slowdown`× fast: nothing first predicted fits; one step down at the budget
    × predicted / measured finds the widest block the measurement allows."""
    from igcdesign.timed_search import decide_by_measurement

    profile, budget_ms, margin = fake_profile(), 0.3, 0.05
    results = [_search(budget_ms, family, profile)]
    calls = []

    def measure(specs):
        calls.append(list(specs))
        return {spec: {"measured_ms": slowdown * predict(spec, hw=8, batch=1, profile=profile).predicted_ms,
                       "iqr_ms": 0.0} for spec in specs}

    rounds = decide_by_measurement(results, measure, lambda f, ms: _search(ms, f, profile), verify=2, margin=margin)
    result = results[0]
    limit = budget_ms * (1 - margin)
    assert result.verified and result.decision is not None
    assert result.decision["measured_ms"] <= limit
    assert result.step_downs and result.step_downs[0]["ratio"] == pytest.approx(slowdown)
    # with measured = slowdown × predicted exactly, the answer is the widest predicted within limit / slowdown
    expected = _search(limit / slowdown, family, profile).chosen
    assert result.decision["width"] == expected["width"]
    assert 2 <= rounds == len(calls) <= 4 and not set(calls[0]) & set(calls[1])
    for before, after in zip(result.step_downs, result.step_downs[1:]):  # each step between 0.5× and 0.7× the last
        assert 0.5 * before["budget_ms"] - 1e-12 <= after["budget_ms"] <= 0.7 * before["budget_ms"] + 1e-12
    assert result.bound == "time"


def test_step_downs_are_bounded_and_say_so():
    from igcdesign.timed_search import MAX_STEP_DOWNS, decide_by_measurement

    profile = fake_profile()
    results = [_search(0.3, "igcv1", profile)]
    measured = []

    def measure(specs):
        measured.extend(specs)
        return {spec: {"measured_ms": 1e3, "iqr_ms": 0.0} for spec in specs}

    rounds = decide_by_measurement(results, measure, lambda f, ms: _search(ms, f, profile), verify=1)
    result = results[0]
    assert result.decision is None and result.bound is None and result.chosen is None
    assert rounds <= MAX_STEP_DOWNS + 1 and len(result.step_downs) <= MAX_STEP_DOWNS
    assert len(measured) == len(set(measured)) == len(result.candidates)
    assert "none of the" in result.note and "step-downs" in result.note


def test_a_block_that_fits_is_not_stepped_past():
    """Measured faster than predicted: the first candidates fit and nothing is re-searched."""
    from igcdesign.timed_search import decide_by_measurement

    profile = fake_profile()
    results = [_search(0.3, family, profile) for family in ("regular", "igcv1")]
    firsts = [r.candidates[0]["spec"] for r in results]

    def research(family, ms):
        raise AssertionError("no step-down was needed")

    decide_by_measurement(results, lambda specs: {s: {"measured_ms": 0.01, "iqr_ms": 0.0} for s in specs}, research)
    assert [r.decision["spec"] for r in results] == firsts and all(not r.step_downs for r in results)


@pytest.mark.parametrize("margin", ["60%", "-1%", "x"])
def test_bad_margins_are_one_line(cli, margin):
    save_profile(fake_profile())
    result = cli("widest", "--latency-budget", "1ms", "--margin", margin)
    assert result.exit_code == 2 and result.stdout == "" and "--margin" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_machines_repeatability_suggests_a_margin(cli, monkeypatch):
    """A profile whose accuracy run found repeats within ±30 % only 90 % of the time: the answer
    says so and names the margin that covers it (the margin given, 5 %, does not)."""
    from dataclasses import replace

    import igcdesign.probe.measure as measure
    from igcdesign.profile import LatencyAccuracy

    accuracy = LatencyAccuracy(mape=0.4, within_10=0.2, within_20=0.4, spearman=0.9, n_blocks=100, repeat_p90=0.3)
    save_profile(replace(fake_profile(), latency_accuracy=accuracy))

    def fake_probe(specs, settings, baseline=None, progress=None):
        return {"results": [{"spec": s, "latency_ms": 0.01, "iqr_ms": 0.0, "batch": 1, "is_baseline": False,
                             "round_medians_ms": [0.01]} for s in specs], "baseline": None}

    monkeypatch.setattr(measure, "probe", fake_probe)
    monkeypatch.setattr(measure, "settings_from_options", lambda *a, **k: measure.ProbeSettings(hw=8))
    monkeypatch.setattr(measure, "context", lambda document: {"device": "fake"})
    args = ["widest", "--latency-budget", "0.1ms", "--hw", "8", "--verify", "1", "-f", "regular"]
    assert cli(*args, "--json").json()["repeat_p90"] == pytest.approx(0.3)
    text = cli(*args).stdout
    assert "±30 %" in " ".join(text.split()) and "--margin 30%" in " ".join(text.split())
    assert "--margin" not in cli(*args, "--margin", "35%").stdout.split("(--margin)")[-1]
    assert LatencyAccuracy.from_dict({**accuracy.__dict__}).repeat_p90 == pytest.approx(0.3)
