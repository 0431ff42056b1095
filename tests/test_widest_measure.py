"""widest --measure and --near: the probe joined to the exact search (torch, tiny maps for speed)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

FAST = ["--hw", "4", "--min-time", "0.01", "--threads", "1"]


def test_measure_adds_latency_to_every_optimum(cli):
    result = cli("widest", "--params", "5000", "--measure", "--json", *FAST)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    for r in doc["results"]:
        (latency,) = r["latency"]
        assert latency["batch"] == 1 and latency["latency_ms"] > 0
        assert latency["params_torch"] == r["params"]  # the real module has the counted weights
    regular = next(r for r in doc["results"] if r["family"] == "regular")
    assert regular["latency"][0]["ratio_to_baseline"] == pytest.approx(1.0)


def test_near_ranks_every_nearly_as_wide_block_by_latency(cli):
    from igcdesign.search import near_widest

    result = cli("widest", "--params", "5000", "-f", "igcv1", "--near", "5%", "--top", "50", "--batch", "1,2",
                 "--json", *FAST)
    assert result.exit_code == 0, result.stderr
    rows = result.json()["near"]["igcv1"]
    expected = near_widest(5000, 3, "igcv1", 0.05)
    assert sorted(r["spec"] for r in rows) == sorted(r["spec"] for r in expected)
    first = [r["latency"][0]["latency_ms"] for r in rows]
    assert first == sorted(first)
    assert all([lat["batch"] for lat in r["latency"]] == [1, 2] for r in rows)


@pytest.mark.parametrize("args", [["--near", "abc"], ["--near", "80%"], ["--measure", "--batch", "0"],
                                  ["--measure", "--hw", "0"], ["--near", "2%", "--top", "0"]])
def test_bad_measure_options(cli, args):
    result = cli("widest", "--params", "5000", *args)
    assert result.exit_code == 2 and result.stderr.startswith("igcdesign: error:")
    assert result.stdout == ""


def test_space_measure_times_the_top_rows(cli):
    result = cli("space", "-f", "igcv1", "-p", "3000", "--top", "3", "--measure", "--json", *FAST)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    widest_first = sorted(doc["rows"], key=lambda r: (-r["width"], r["params"]))[:3]
    assert [m["config"] for m in doc["measured"]] == [r["config"] for r in widest_first]
    for m, row in zip(doc["measured"], widest_first):
        assert m["latency"][0]["params_torch"] == row["params"] and m["latency"][0]["latency_ms"] > 0


def test_space_measure_bad_batch(cli):
    result = cli("space", "-f", "igcv1", "-p", "3000", "--measure", "--batch", "x")
    assert result.exit_code == 2 and result.stdout == ""


# --- the probe's care in widest, space and net: --rounds, the busy warning, the baseline's latency


def _check_measurement(m, rounds, batches=(1,)):
    assert m["rounds"] == rounds and m["threads"] == 1 and m["device"].startswith("cpu")
    assert len(m["load_average"]) == 2 and "busy" in m


def test_widest_measure_reports_rounds_and_the_baseline_latency(cli):
    from igcdesign.search import widest_regular

    result = cli("widest", "--params", "5000", "-f", "igcv1", "--measure", "--rounds", "2", "--batch", "1,2",
                 "--json", *FAST)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    m = doc["measurement"]
    _check_measurement(m, 2)
    # without the regular family in the answer, the baseline is still the regular conv of the budget
    assert m["baseline"]["spec"] == widest_regular(5000, 3).spec
    assert [row["batch"] for row in m["baseline"]["latency"]] == [1, 2]
    assert all(row["latency_ms"] > 0 and row["ratio_to_baseline"] == 1.0 for row in m["baseline"]["latency"])
    (igcv1,) = doc["results"]
    for row, base in zip(igcv1["latency"], m["baseline"]["latency"]):
        assert row["ratio_to_baseline"] == pytest.approx(row["latency_ms"] / base["latency_ms"])


def test_widest_measure_prints_the_baseline_and_rounds(cli):
    from igcdesign.search import widest_regular

    result = cli("widest", "--params", "5000", "-f", "igcv1", "--measure", "--rounds", "3", *FAST)
    assert result.exit_code == 0, result.stderr
    assert "best of 3 rounds" in result.stdout
    assert f"baseline {widest_regular(5000, 3).spec}: b1: " in result.stdout


def test_a_busy_machine_is_named_in_widest_space_and_net(cli, monkeypatch):
    import os

    import igcdesign.probe.measure as measure

    cpus = os.cpu_count()
    monkeypatch.setattr(measure, "load_average", lambda: float(cpus) + 4)
    runs = [
        ("widest", "--params", "5000", "-f", "igcv1", "--measure", *FAST),
        ("space", "-f", "igcv1", "-p", "3000", "--top", "2", "--measure", *FAST),
        ("net", "regular-cifar:C=4,D=8", "--measure", "--threads", "1", "--min-time", "0.01"),
    ]
    for args in runs:
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        assert f"the machine was busy (load average {cpus + 4:.1f} on {cpus} CPUs)" in result.stdout, args
        doc = cli(*args, "--json").json()
        assert doc["measurement"]["busy"].startswith("the machine was busy"), args
    monkeypatch.setattr(measure, "load_average", lambda: 0.0)
    for args in runs:
        result = cli(*args)
        assert "busy" not in result.stdout and cli(*args, "--json").json()["measurement"]["busy"] is None


def test_space_measure_reports_rounds_and_the_baseline(cli):
    from igcdesign.search import widest_regular

    result = cli("space", "-f", "igcv1", "-p", "3000", "--top", "2", "--measure", "--rounds", "2", "--json", *FAST)
    assert result.exit_code == 0, result.stderr
    m = result.json()["measurement"]
    _check_measurement(m, 2)
    assert m["baseline"]["spec"] == widest_regular(3000, 3).spec and m["baseline"]["latency"][0]["latency_ms"] > 0


def test_net_measure_takes_rounds_and_reports_them(cli):
    result = cli("net", "regular-cifar:C=4,D=8", "igcv1-cifar:L=2,M=2,D=8", "--measure", "--rounds", "2",
                 "--batch", "1,2", "--threads", "1", "--min-time", "0.01", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    _check_measurement(doc["measurement"], 2)
    assert doc["measurement"]["baseline"] is None  # networks compare with the first network
    for net in doc["nets"]:
        assert [row["batch"] for row in net["latency"]] == [1, 2]
    assert doc["nets"][0]["ratios"]["latency_batch_2"] == 1.0


@pytest.mark.parametrize("command", [
    ("widest", "--params", "5000", "--measure"), ("space", "-f", "igcv1", "-p", "3000", "--measure"),
    ("net", "regular-cifar:C=4,D=8", "--measure"),
])
def test_rounds_out_of_range_is_one_line(cli, command):
    for bad in ("0", "101"):
        result = cli(*command, "--rounds", bad)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr == f"igcdesign: error: --rounds must be between 1 and 100, got {bad}\n"


def test_one_batch_maximum_for_blocks_and_networks(cli):
    from igcdesign.probe.measure import MAX_BATCH

    for command in (("widest", "--params", "5000", "--measure"), ("net", "regular-cifar:C=4,D=8", "--measure")):
        result = cli(*command, "--batch", str(MAX_BATCH + 1))
        assert result.exit_code == 2
        assert result.stderr == f"igcdesign: error: --batch must be between 1 and {MAX_BATCH}, got {MAX_BATCH + 1}\n"
