"""The IGCV1 Table 3 report section: discovered, deterministic, and every printed row matched
(printed values: igcdesign/data/igcv1_table3_cifar.csv)."""

from __future__ import annotations

import csv

from igcdesign.report import discover
from igcdesign.report.sections import igcv1_table3


def test_section_is_discovered():
    assert "igcv1_table3" in [s.name for s in discover()]


def test_section_rows_match_reference(reference, tmp_path):
    body = igcv1_table3.write(tmp_path)
    assert "All 8 printed rows" in body
    with open(reference / "igcv1_table3_cifar.csv", newline="") as f:
        printed = {(r["network"], r["depth"]): r for r in csv.DictReader(f)}
    with open(tmp_path / "igcv1_table3.csv", newline="") as f:
        written = list(csv.DictReader(f))
    assert sorted({int(r["depth"]) for r in written}) == [8, 20, 38, 62, 98]
    assert len(written) == 5 * len({name for name, _ in printed})
    for row in written:
        ref = printed.get((row["network"], row["depth"]))
        if ref:
            assert row["match"] == "1"
            assert row["paper_params_M"] == ref["params_M"]


def test_section_is_deterministic(tmp_path):
    first = igcv1_table3.write(tmp_path)
    data = (tmp_path / "igcv1_table3.csv").read_bytes()
    assert igcv1_table3.write(tmp_path) == first
    assert (tmp_path / "igcv1_table3.csv").read_bytes() == data
