"""What an acceptance run found and the fixes it asked for: rows over the budget labelled in
every people's table, derive taking what the other API functions take, --min-time refused
before torch loads, and the impl column kept whenever it tells two rows apart."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

import igcdesign
from igcdesign.cli import app
from igcdesign.report.tables_render import OVER_BUDGET

T = 17_536  # IGCV1 paper, Table 1 (ii)


def igcv1_params(L: int, M: int) -> int:
    """IGCV1 block params, docs/conventions.md §1: T = L·M²·S + M·L², S = 9."""
    return L * M * M * 9 + M * L * L


def markdown_rows(text: str) -> dict[tuple[int, int], list[str]]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and cells[0].isdigit():
            rows[int(cells[0]), int(cells[1])] = cells
    return rows


def test_rows_over_the_budget_are_labelled_and_never_marked_widest():
    result = CliRunner().invoke(app, ["table", "-p", str(T), "-f", "igcv1", "--markdown"])
    assert result.exit_code == 0, result.stderr
    rows = markdown_rows(result.stdout)
    over = {lm for lm in rows if igcv1_params(*lm) > T}
    assert (41, 5) in over  # the paper's bold row, 17,630 params
    for lm, cells in rows.items():
        assert (cells[-1] == OVER_BUDGET) == (lm in over), (lm, cells)
    widest = [lm for lm, cells in rows.items() if cells[-1] == "yes"]
    brute = max((L * M, -igcv1_params(L, M), L, M) for L in range(1, 200) for M in range(1, 200)
                if igcv1_params(L, M) <= T)
    assert widest == [(brute[2], brute[3])] == [(40, 5)]


def test_rich_table_says_over_budget_too():
    result = CliRunner(env={"COLUMNS": "120"}).invoke(app, ["table", "-p", "4700", "-f", "igcv2"])
    assert result.exit_code == 0, result.stderr
    # 1x12x12: C = 144, Q = C·(S·1 + 12 + 12) = 144·33 = 4,752 > 4,700 (IGCV2 paper's L = 3 block)
    line = next(line for line in result.stdout.splitlines() if " 1x12x12 " in line)
    assert OVER_BUDGET in line and "4,752" in line


def test_derive_takes_a_family_name_a_spec_or_a_block():
    by_name = [s.title for s in igcdesign.derive("igcv3").steps]
    assert [s.title for s in igcdesign.derive("igcv3:C=24,t=6").steps] == by_name
    assert [s.title for s in igcdesign.derive(igcdesign.parse("igcv3:C=24")).steps] == by_name
    with pytest.raises(igcdesign.IGCError):
        igcdesign.derive("regular:C=8")


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e9"])
def test_min_time_refused_before_torch_is_imported(value):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from igcdesign.cli import app\n"
        f"r = CliRunner().invoke(app, ['probe', 'igcv3:C=8', '--min-time', {value!r}])\n"
        "print(r.exit_code, 'torch' in sys.modules)\n"
        "print(r.stderr.strip())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    status, error = out.split("\n", 1)
    assert status == "2 False", out
    assert error.startswith("igcdesign: error: --min-time") and len(error.strip().splitlines()) == 1


def test_impl_column_kept_when_both_implementations_are_timed():
    pytest.importorskip("torch")
    args = ["probe", "igcv1:L=2,M=4", "--impl", "plain,fast", "--baseline", "none",
            "--min-time", "0.01", "--hw", "4", "--threads", "1"]
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, args)
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "igcv1:L=2,M=4" in line]
    assert any("plain" in line for line in lines) and any("fast" in line for line in lines), result.stdout


def test_missing_profile_hint_is_a_command_that_runs():
    from igcdesign.profile import Fingerprint, missing_message

    text = missing_message(Fingerprint("cpu: test", "2.13.0", 1, "float32"), [])
    command = text.split("`")[1]
    assert command == "igcdesign calibrate --threads 1 --dtype float32"
    assert text.endswith("` to measure this machine")
    result = CliRunner().invoke(app, command.split()[1:] + ["--help"])
    assert result.exit_code == 0
