"""`space` bounds what it prints: --json honours --top, and more rows than stdout takes are
refused before any enumeration, with a pointer to --out."""

from __future__ import annotations

import csv

import pytest

from igcdesign.commands.space import MAX_STDOUT_ROWS


def _igcv1_blocks(budget: int, S: int = 9) -> list[tuple[int, int]]:
    """Brute force: (width, params) of every IGCV1 (L, M) within budget, widest first (ties:
    fewer params). Params L·M·M·S (primary, L groups of M) + M·L·L (secondary, M groups of L)."""
    def cost(L: int, M: int) -> int:
        return L * M * M * S + M * L * L

    rows = []
    M = 1
    while cost(1, M) <= budget:  # the cost grows with L and with M: stop at the first over budget
        L = 1
        while cost(L, M) <= budget:
            rows.append((L * M, cost(L, M)))
            L += 1
        M += 1
    return sorted(rows, key=lambda wp: (-wp[0], wp[1]))


def _igcv1_count(budget: int) -> int:
    return len(_igcv1_blocks(budget))


def test_json_honours_top(cli):
    doc = cli("space", "-f", "igcv1", "-p", "1e4", "--json", "--top", "7").json()
    assert doc["count"] == _igcv1_count(10**4) and len(doc["rows"]) == 7 and doc["top"] == 7
    # the 7 rows are the widest ones (ties: fewer params), as the table shows them
    assert [(r["width"], r["params"]) for r in doc["rows"]] == _igcv1_blocks(10**4)[:7]


def test_json_default_top_is_the_tables(cli):
    doc = cli("space", "-f", "igcv1", "-p", "1e4", "--json").json()
    assert len(doc["rows"]) == 20 < doc["count"]


def test_json_with_out_writes_every_row_and_prints_the_top(cli, tmp_path):
    out = tmp_path / "all.csv"
    doc = cli("space", "-f", "igcv1", "-p", "1e4", "--json", "--top", "3", "--out", str(out)).json()
    assert len(doc["rows"]) == 3 and doc["out"] == str(out)
    with out.open(newline="") as handle:
        assert sum(1 for _ in csv.reader(handle)) - 1 == doc["count"] == _igcv1_count(10**4)


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_too_many_rows_for_stdout_is_refused_before_work(cli, extra):
    # the largest igcv2 space (about 2.8M rows) would take seconds and gigabytes to enumerate:
    # the refusal comes first, in one line naming --out
    result = cli("space", "-f", "igcv2", "-p", "1e7", "--top", str(MAX_STDOUT_ROWS + 1), *extra)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--out" in lines[0]


def test_top_at_the_bound_is_accepted(cli):
    doc = cli("space", "-f", "igcv1", "-p", "2e4", "--json", "--top", str(MAX_STDOUT_ROWS)).json()
    assert len(doc["rows"]) == min(doc["count"], MAX_STDOUT_ROWS) == _igcv1_count(2 * 10**4)
