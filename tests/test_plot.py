"""Figures: every kind renders to every format, with the data it plots, and bad options fail cleanly."""

from __future__ import annotations

import pytest

from igcdesign.search import widest_all


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_igcv1_table_figure_formats(cli, tmp_path, suffix, magic):
    out = tmp_path / f"t{suffix}"
    result = cli("plot", "igcv1-table", "--params", "4672", "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(magic)
    doc = result.json()
    best = [r for r in doc["rows"] if r["widest"]]
    assert len(best) == 1 and (best[0]["L"], best[0]["M"]) == (28, 3)  # igcdesign/data/igcv1_table1_budget4672.csv bold row


def test_figures_are_reproducible(cli, tmp_path):
    for name in ("a.svg", "b.svg"):
        assert cli("plot", "igcv2-depth", "--params", "4700", "--out", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_width_vs_params_data_is_the_widest_search(cli, tmp_path):
    result = cli("plot", "width-vs-params", "--min-params", "1e3", "--max-params", "1e5", "--out", str(tmp_path / "w.png"), "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    for T, width in list(zip(doc["budgets"], doc["series"]["igcv1"]))[::10]:
        assert width == widest_all(T, 3, ["igcv1"])[0].width
    assert all(w <= b + 1e-9 for w, b in zip(doc["series"]["igcv1"], doc["igcv1_bound"]))


def test_pareto_figure(cli, tmp_path):
    result = cli("plot", "pareto", "--family", "igcv3", "--max-params", "2e4", "--objectives", "width,mem_access",
                 "--out", str(tmp_path / "p.png"), "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    front = doc["front"]
    assert front and doc["objectives"] == ["width", "mem_access"]
    # along the front, more width always costs more memory traffic
    pairs = sorted((r["mem_access"], r["width"]) for r in front)
    assert all(w1 <= w2 for (_, w1), (_, w2) in zip(pairs, pairs[1:]))


@pytest.mark.parametrize("args", [
    ["bogus", "--out", "x.png"], ["pareto", "--out", "x.gif"], ["pareto", "--out", "nodir/x.png"],
    ["igcv1-table", "--params", "0", "--out", "x.png"], ["pareto", "--objectives", "width,speed", "--out", "x.png"],
    ["pareto", "--family", "igcv9", "--out", "x.png"], ["width-vs-params", "--max-params", "10", "--out", "x.png"],
])
def test_bad_options_leave_no_file(cli, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = cli("plot", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
