"""The report: sections discovered from the package, and the committed reports/ up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from igcdesign.report import discover, write_report

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "reports"


def test_sections_are_discovered_in_order():
    sections = discover()
    names = [s.name for s in sections]
    assert {"igcv1_table1", "igcv2_table2", "igcv2_depth", "width_vs_params", "widest_1e6"} <= set(names)
    assert [(s.order, s.name) for s in sections] == sorted((s.order, s.name) for s in sections)
    for s in sections:
        assert isinstance(s.title, str) and s.title and callable(s.module.write)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, reference):
    out = tmp_path_factory.mktemp("reports")
    written = write_report(out)
    return out, written


def test_committed_reports_are_up_to_date(fresh):
    """Regenerate and compare the markdown and every CSV with reports/ (figures are not compared:
    their bytes depend on the matplotlib build). Run `igcdesign report` to refresh."""
    out, _ = fresh
    generated = sorted(p.name for p in out.iterdir() if p.suffix in (".md", ".csv"))
    assert "README.md" in generated
    for name in generated:
        committed = COMMITTED / name
        assert committed.is_file(), f"reports/{name} is not committed: run `igcdesign report`"
        assert committed.read_text(encoding="utf-8") == (out / name).read_text(encoding="utf-8"), (
            f"reports/{name} is out of date with the code: run `igcdesign report`")


def test_every_linked_file_exists(fresh):
    out, written = fresh
    text = (out / "README.md").read_text(encoding="utf-8")
    import re

    for link in re.findall(r"\]\(([^)#:]+)\)", text):
        assert (out / link).is_file(), link
    assert all(s["status"] == "written" for s in written.sections)


def test_report_names_the_printing_errors(fresh, reference):
    """Every printed Table 1 row that contradicts width = L·M or the params formula is named."""
    import csv

    out, _ = fresh
    text = (out / "README.md").read_text(encoding="utf-8")
    for budget in (4672, 17536):
        for row in csv.DictReader(open(reference / f"igcv1_table1_budget{budget}.csv", newline="")):
            L, M, width, params = (int(row[c]) for c in ("L", "M", "width", "params"))
            if width != L * M or params != 9 * L * M * M + M * L * L:
                assert f"L = {L}, M = {M}:" in text


def test_report_is_deterministic(tmp_path, reference):
    write_report(tmp_path, only=["igcv2_table2", "igcv2_depth"])
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    write_report(tmp_path, only=["igcv2_table2", "igcv2_depth"])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == first  # figures included
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_report_leaves_other_files_alone(tmp_path, reference):
    other = tmp_path / "latency_cpu.md"
    other.write_text("kept\n")
    write_report(tmp_path, only=["igcv2_table2"])
    assert other.read_text() == "kept\n"


def test_cli_report(cli, tmp_path, reference):
    result = cli("report", "--out", str(tmp_path / "r"), "--section", "igcv2_table2", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert [s["name"] for s in doc["sections"]] == ["igcv2_table2"]
    assert (tmp_path / "r" / "README.md").is_file() and (tmp_path / "r" / "igcv2_table2.csv").is_file()


@pytest.mark.parametrize("args", [
    ["--out", "/nonexistent-dir/sub/reports"], ["--section", "nope"],
])
def test_cli_report_bad_options(cli, tmp_path, args):
    result = cli("report", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_report_out_is_a_file(cli, tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    result = cli("report", "--out", str(f))
    assert result.exit_code == 2 and f.read_text() == "x"
