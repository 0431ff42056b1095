"""The report: sections discovered from the package, and the committed reports/ up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from igcdesign.errors import IGCError
from igcdesign.report import SectionUnavailable, discover, write_report
from igcdesign.report.staging import is_staging

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
    generated = sorted(p.name for p in out.iterdir() if p.is_file() and p.suffix in (".md", ".csv"))
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
    assert not [p for p in tmp_path.parent.iterdir() if is_staging(p.name)], "staging folder left behind"


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


# --- the report is installed as a whole, or not at all ----------------------------------------


def snapshot(folder: Path) -> dict:
    """Every entry of a folder (hidden ones too) with its bytes, mode and modification time."""
    return {p.name: (p.read_bytes() if p.is_file() else None, p.stat().st_mode, p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


def break_section(monkeypatch, name: str, error: Exception) -> None:
    """Make section `name` fail when it is built, after the sections before it wrote their files."""
    module = next(s.module for s in discover() if s.name == name)

    def write(out):
        (out / f"{name}.csv").write_text("half\n")  # what a section had written when it failed
        raise error

    monkeypatch.setattr(module, "write", write)


@pytest.fixture
def existing(tmp_path):
    out = tmp_path / "reports"
    write_report(out, only=["igcv2_table2", "widest_1e6"])
    (out / "latency_cpu.md").write_text("kept\n")
    return out


@pytest.mark.parametrize("error", [SectionUnavailable("matplotlib is missing"), RuntimeError("boom"), OSError(28, "No space left on device")])
def test_a_failing_section_changes_nothing(monkeypatch, existing, error):
    before, beside = snapshot(existing), snapshot(existing.parent)
    last = discover()[-1].name  # every other section has been built when it fails
    break_section(monkeypatch, last, error)
    with pytest.raises(IGCError, match=f"section {last} cannot be built"):
        write_report(existing)
    assert snapshot(existing) == before
    assert snapshot(existing.parent) == beside  # no staging folder left beside it either


def test_a_failing_section_creates_no_folder(monkeypatch, tmp_path):
    break_section(monkeypatch, "igcv2_depth", SectionUnavailable("no figure backend"))
    with pytest.raises(IGCError, match="igcv2_depth"):
        write_report(tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


def test_cli_a_failing_section_is_one_line_exit_2(cli, monkeypatch, existing):
    before = snapshot(existing)
    break_section(monkeypatch, "widest_1e6", RuntimeError("cannot count"))
    result = cli("report", "--out", str(existing), "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "igcdesign: error: report section widest_1e6 cannot be built: cannot count"]
    assert snapshot(existing) == before


def test_replaced_files_keep_their_mode_and_a_new_folder_follows_the_umask(tmp_path):
    import os

    out = tmp_path / "r"
    old = os.umask(0o027)
    try:
        write_report(out, only=["igcv2_table2"])
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o750
    (out / "igcv2_table2.csv").chmod(0o600)
    (out / "igcv2_table2.csv").write_text("stale\n")
    write_report(out, only=["igcv2_table2"])
    assert (out / "igcv2_table2.csv").stat().st_mode & 0o777 == 0o600
    assert (out / "igcv2_table2.csv").read_text() != "stale\n"


def test_another_runs_temporary_files_are_neither_listed_nor_installed(tmp_path):
    """Staging folders and temporary files of a run still in progress (faked here) stay its own."""
    out = tmp_path / "r"
    out.mkdir()
    foreign_stage = tmp_path / ".r.staging-0123456789ab"
    foreign_stage.mkdir()
    (foreign_stage / "README.md").write_text("another run's\n")
    (foreign_stage / "igcv2_table2.csv").write_text("another run's\n")
    foreign_tmp = out / ".igcv2_table2.abcd1234.tmp"
    foreign_tmp.write_text("another run's\n")
    written = write_report(out, only=["igcv2_table2"])
    assert [s["files"] for s in written.sections] == [["igcv2_table2.csv"]]
    assert sorted(p.name for p in out.iterdir()) == [".igcv2_table2.abcd1234.tmp", "README.md", "igcv2_table2.csv"]
    assert "another run's" not in (out / "README.md").read_text() + (out / "igcv2_table2.csv").read_text()
    assert (foreign_stage / "README.md").read_text() == "another run's\n"  # not ours to remove


def run_reports_together(out: Path, *args: str, runs: int = 2) -> list[dict]:
    """`igcdesign report --out OUT ARGS --json` in `runs` processes started together."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "igcdesign", "report", "--out", str(out), *args, "--json"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(runs)]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        results.append(json.loads(stdout))
    return results


def test_concurrent_reports_into_one_folder_end_consistent(tmp_path):
    alone, together = tmp_path / "alone", tmp_path / "together"
    expected = write_report(alone).as_dict()["sections"]
    write_report(together, only=["igcv2_table2"])
    (together / "latency_cpu.md").write_text("kept\n")
    for doc in run_reports_together(together):
        assert doc["sections"] == expected  # each run lists exactly its own files
    assert snapshot_bytes(together) == {**snapshot_bytes(alone), "latency_cpu.md": b"kept\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone", "together"]


def test_concurrent_reports_creating_the_folder_end_consistent(tmp_path):
    alone, together = tmp_path / "alone", tmp_path / "together"
    write_report(alone, only=["igcv2_table2", "widest_1e6"])
    docs = run_reports_together(together, "--section", "igcv2_table2", "--section", "widest_1e6", runs=3)
    assert {tuple(tuple(s["files"]) for s in d["sections"]) for d in docs} == {(("igcv2_table2.csv",), ("widest_1e6.csv",))}
    assert snapshot_bytes(together) == snapshot_bytes(alone)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone", "together"]


def test_sigterm_while_building_leaves_nothing_behind(existing):
    import os
    import signal
    import subprocess
    import sys
    import time

    before, parent = snapshot(existing), existing.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "igcdesign", "report", "--out", str(existing)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(is_staging(p.name) for p in parent.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the report never staged"
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert snapshot(existing) == before
    assert sorted(p.name for p in parent.iterdir()) == ["reports"]


def snapshot_bytes(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
