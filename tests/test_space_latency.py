"""Predicted latency in `space`, `table`, `plot pareto` and the API, on a profile built here with
explicit figures: the column is the model's prediction, --max-latency and the width/latency
Pareto front are checked against brute force over the rows."""

from __future__ import annotations

import pytest

from igcdesign.latency import predict
from igcdesign.profile import Fingerprint, Profile, cpu_model, installed_torch_version, save_profile


def fake_profile() -> Profile:
    fp = Fingerprint(f"cpu: {cpu_model()}", installed_torch_version(), 2, "float32")
    return Profile(fp, copy_bytes_per_s=6e9, triad_bytes_per_s=8e9, matmul_macs_per_s=2e10, conv_macs_per_s=2e10,
                   call_s=1e-5, default_threads=True)


def test_space_has_a_predicted_column_only_with_a_profile(cli):
    plain = cli("space", "-f", "igcv1", "-p", "2000", "--top", "5", "--json").json()
    assert all("predicted_ms" not in row for row in plain["rows"]) and plain["profile"] is None
    save_profile(fake_profile())
    doc = cli("space", "-f", "igcv1", "-p", "2000", "--top", "5", "--hw", "8", "--json").json()
    assert doc["profile"] and doc["latency_batch"] == 1
    for row in doc["rows"]:
        assert row["predicted_ms"] == pytest.approx(predict(row["config"], hw=8, batch=1, profile=fake_profile()).predicted_ms)
    text = cli("space", "-f", "igcv1", "-p", "2000", "--top", "5")
    assert "predicted ms" in text.stdout


def test_max_latency_and_the_width_latency_front_match_brute_force(cli):
    save_profile(fake_profile())
    everything = cli("space", "-f", "igcv2", "-p", "3000", "--hw", "8", "--top", "10000", "--json").json()["rows"]
    assert everything and all("predicted_ms" in r for r in everything)
    limit = 0.05
    doc = cli("space", "-f", "igcv2", "-p", "3000", "--hw", "8", "--max-latency", "50us", "--top", "10000", "--json").json()
    assert doc["max_latency_ms"] == pytest.approx(limit)
    assert {r["config"] for r in doc["rows"]} == {r["config"] for r in everything if r["predicted_ms"] <= limit}
    front = cli("space", "-f", "igcv2", "-p", "3000", "--hw", "8", "--objectives", "width,latency", "--top", "10000",
                "--json").json()["rows"]

    def dominated(r):
        return any(o["width"] >= r["width"] and o["predicted_ms"] <= r["predicted_ms"]
                   and (o["width"] > r["width"] or o["predicted_ms"] < r["predicted_ms"]) for o in everything)

    assert {r["config"] for r in front} == {r["config"] for r in everything if not dominated(r)}


@pytest.mark.parametrize("args", [["--max-latency", "5"], ["--max-latency", "0ms"], ["--objectives", "width,latency"],
                                  ["--max-latency", "1ms"]])
def test_latency_options_are_one_line_errors_without_a_profile_or_a_unit(cli, args):
    result = cli("space", "-f", "igcv1", "-p", "2000", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_table_has_a_predicted_column_with_a_profile(cli):
    assert "predicted_ms" not in cli("table", "-p", "4672", "--json").stdout
    save_profile(fake_profile())
    doc = cli("table", "-p", "4672", "--hw", "16", "--json").json()
    rows = doc["rows"] if "rows" in doc else doc["tables"][0]["rows"]
    for row in rows:
        assert row["predicted_ms"] == pytest.approx(predict(row["spec"], hw=16, batch=1, profile=fake_profile()).predicted_ms)


def test_api_space_frame_keeps_the_latency_column():
    from igcdesign import api

    result = api.space("igcv1", 2000, hw=8, profile=fake_profile(), max_latency="40us")
    frame = result.to_frame()
    assert "predicted_ms" in frame.columns and (frame["predicted_ms"] <= 0.04).all()
    front = result.pareto("width", "latency")
    assert len(front) and len(front) <= len(result)


def test_plot_pareto_draws_width_against_latency(cli, tmp_path):
    pytest.importorskip("matplotlib")
    save_profile(fake_profile())
    out = tmp_path / "front.png"
    result = cli("plot", "pareto", "-f", "igcv1", "--max-params", "2000", "--objectives", "width,latency", "-o",
                 str(out), "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert out.stat().st_size > 0 and doc["objectives"] == ["width", "latency"]
    assert all("predicted_ms" in row for row in doc["front"])
