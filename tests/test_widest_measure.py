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
