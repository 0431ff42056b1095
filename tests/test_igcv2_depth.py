"""IGCV2 against depth: at every depth the widest block within the budget, never one over it.

Checked against a brute force over every multiset of 1×1 branch sizes, against `widest`'s exact
search across all depths, and through `plot igcv2-depth` and the report's depth section."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.families import parse_block
from igcdesign.igcv2_depth import depth_rows, widest_at_depth
from igcdesign.families import FAMILIES


def igcv2_widest_width(budget: int, k: int) -> int:
    widths = FAMILIES["igcv2"].walk(budget, k)
    return widths[0] if widths else 0


def brute(budget: int, S: int, n: int) -> tuple[int, int] | None:
    """(width, params) of the widest within budget over every non-decreasing tuple of n branch
    sizes ≥ 2 (ties: fewer params), with params C·(S + ΣK), C = ∏K."""
    best = None

    def walk(prefix: tuple[int, ...], least: int) -> None:
        nonlocal best
        if len(prefix) == n:
            C = math.prod(prefix)
            params = C * (S + sum(prefix))
            if params <= budget and (best is None or (C, -params) > (best[0], -best[1])):
                best = (C, params)
            return
        f = least
        while math.prod(prefix) * f ** (n - len(prefix)) * (S + sum(prefix) + (n - len(prefix)) * f) <= budget:
            walk(prefix + (f,), f)
            f += 1

    walk((), 2)
    return best


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=40, max_value=60_000), st.sampled_from([1, 3, 5]), st.integers(min_value=1, max_value=6))
def test_widest_at_depth_is_the_brute_force(budget, k, n):
    found = widest_at_depth(budget, k, n)
    expected = brute(budget, k * k, n)
    if expected is None:
        assert found is None
    else:
        C = math.prod(found)
        assert (C, C * (k * k + sum(found))) == expected and len(found) == n and min(found) >= 2


@pytest.mark.parametrize("budget", [4700, 10_496, 17_536, 10**6])
def test_every_row_is_within_the_budget_and_counted_by_the_chain(budget):
    rows = depth_rows(budget)
    assert rows and all(r["params"] <= budget for r in rows)
    for r in rows:
        block = parse_block(r["spec"])
        assert block.params() == r["params"] and block.width == r["width"] == math.prod(map(int, r["K"].split("x")))
        assert len(block.config["K"]) == r["L"]
    # the widest row is the widest block of the family: widest's exact search over all depths
    best = [r for r in rows if r["widest"]]
    assert len(best) == 1 and best[0]["width"] == igcv2_widest_width(budget, 3) == max(r["width"] for r in rows)


def test_4700_no_longer_zigzags_over_the_budget():
    rows = {r["L"]: r for r in depth_rows(4700)}
    # nearest-the-budget picked L = 7 as 1x3x3x3x2x2x2 (216 wide, 5,184 params: over 4,700); within
    # the budget the widest at L = 7 is 192 wide (1x4x3x2x2x2x2: 192·(9 + 15) = 4,608 params)
    assert rows[7]["params"] <= 4700 and rows[7]["width"] == brute(4700, 9, 6)[0] == 192
    assert rows[3]["width"] == 140 and rows[3]["params"] == 140 * (9 + 14 + 10)  # 1x14x10: 4,620
    widths = [rows[L]["width"] for L in sorted(rows)]
    assert widths[:4] == sorted(widths[:4])  # grows with depth up to the widest, then a plateau


def test_plot_igcv2_depth_plots_the_rows(cli, tmp_path):
    result = cli("plot", "igcv2-depth", "--params", "4700", "--out", str(tmp_path / "d.png"), "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert [r["spec"] for r in doc["rows"]] == [r["spec"] for r in depth_rows(4700)]
    assert all(r["params"] <= 4700 for r in doc["rows"])


def test_plot_igcv2_depth_budget_bound(cli, tmp_path):
    result = cli("plot", "igcv2-depth", "--params", "1e13", "--out", str(tmp_path / "d.png"))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d.png").exists()


def test_report_depth_section_is_within_the_budget(tmp_path):
    import csv

    from igcdesign.report import write_report

    write_report(tmp_path, only=["igcv2_depth"])
    with (tmp_path / "igcv2_depth.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(int(r["params"]) <= 4700 for r in rows)
    assert [r["spec"] for r in rows] == [r["spec"] for r in depth_rows(4700)]
