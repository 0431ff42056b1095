"""Width tables (`igcdesign table`) against the paper, brute force, count and widest."""

from __future__ import annotations

import csv
import math

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.counting import count_block
from igcdesign.search import igcv1_max_L, widest_all
from igcdesign.families import parse_block
from igcdesign.tables import igcv1_table, igcv2_table, igcv3_table


def igcv1_closed(L: int, M: int, k: int) -> int:
    """docs/conventions.md §1: T = L·M²·S + M·L²."""
    return L * M * M * k * k + M * L * L


def read(path):
    with open(path, newline="") as handle:
        return [{key: int(value) for key, value in row.items()} for row in csv.DictReader(handle)]


# --- the paper's Table 1 (igcdesign/data/igcv1_table1_budget*.csv) --------------------------------


@pytest.mark.parametrize("budget", [4672, 17536])
def test_paper_rows_appear_with_their_numbers(reference, budget):
    table = igcv1_table(budget, 3)
    ours = {(r["L"], r["M"]): r for r in table.rows}
    for printed in read(reference / f"igcv1_table1_budget{budget}.csv"):
        key = (printed["L"], printed["M"])
        assert key in ours, f"paper row {key} missing"
        row = ours[key]
        # our numbers follow the paper's own formula, params = 9·L·M² + M·L², width = L·M ...
        assert row["params"] == igcv1_closed(*key, 3)
        assert row["width"] == key[0] * key[1]
        # ... which the printed numbers match wherever the paper agrees with itself
        if printed["params"] == igcv1_closed(*key, 3):
            assert row["params"] == printed["params"]
        if printed["width"] == key[0] * key[1]:
            assert row["width"] == printed["width"]
        if printed["widest"]:
            assert row["widest"], f"paper's bold row {key} not flagged widest"


def test_paper_contradictions_are_found_by_computation(reference):
    """Rows whose printed width or params disagree with L·M and the formula are the printing
    errors; the report section must name each of them."""
    from igcdesign.report.sections.igcv1_table1 import printing_errors

    expected = []
    for budget in (4672, 17536):
        for printed in read(reference / f"igcv1_table1_budget{budget}.csv"):
            L, M = printed["L"], printed["M"]
            if printed["width"] != L * M or printed["params"] != igcv1_closed(L, M, 3):
                expected.append((budget, L, M))
    found = [(e["budget"], e["L"], e["M"]) for e in printing_errors()]
    assert found == expected


@pytest.mark.parametrize("budget", [4672, 17536, 10**6])
def test_rows_agree_with_count_and_search(budget):
    table = igcv1_table(budget, 3)
    for row in table.rows:
        block = parse_block(row["spec"])
        assert count_block(block).params == row["params"] == igcv1_closed(row["L"], row["M"], 3)
        assert block.width == row["width"]
        assert row["L"] in (igcv1_max_L(row["M"], 3, budget), igcv1_max_L(row["M"], 3, budget) + 1)
    best = widest_all(budget, 3, ["igcv1"])[0]
    fitting = [r["width"] for r in table.rows if r["params"] <= budget]
    assert max(fitting) <= best.width


# --- brute force ----------------------------------------------------------------------------


def brute_igcv1(budget: int, k: int, tolerance: float) -> list[tuple]:
    rows = []
    M = 1
    while igcv1_closed(1, M, k) * 100 <= budget * (100 + tolerance):
        candidates = []
        L = 1
        while True:
            p = igcv1_closed(L, M, k)
            candidates.append((abs(p - budget), p, L))
            if p > budget:
                break
            L += 1
        _, p, L = min(candidates)
        if abs(p - budget) * 100 <= tolerance * budget:
            rows.append((L, M, p))
        M += 1
    return sorted(rows)


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(1, 4000), k=st.integers(1, 4), tolerance=st.sampled_from([0, 1, 5, 12.5, 30]))
def test_igcv1_table_matches_brute_force(budget, k, tolerance):
    table = igcv1_table(budget, k, tolerance)
    assert [(r["L"], r["M"], r["params"]) for r in table.rows] == brute_igcv1(budget, k, tolerance)
    if table.rows:
        best = min(table.rows, key=lambda r: (-r["width"], r["params"]))
        assert [r for r in table.rows if r["widest"]] == [best]


def brute_igcv2(budget: int, k: int) -> dict[int, tuple]:
    """Per number n of 1×1 convs: the balanced K ({b, b+1} only) with ∏K = C closest to budget."""
    best: dict[int, tuple] = {}
    for n in range(1, 14):
        for b in range(2, 80):
            for j in range(n):
                K = (b + 1,) * j + (b,) * (n - j)
                C = math.prod(K)
                p = C * (k * k + sum(K))  # Q = C·(S·K₁ + ΣK) with K₁ = 1
                key = (abs(p - budget), p)
                if n not in best or key < best[n][0]:
                    best[n] = (key, K, p)
    return best


@settings(max_examples=30, deadline=None)
@given(budget=st.integers(22, 6000), k=st.integers(1, 3))
def test_igcv2_table_matches_brute_force(budget, k):
    table = igcv2_table(budget, k)
    brute = brute_igcv2(budget, k)
    assert table.rows, "n = 1, K = 1x2 (at most 22 params for k ≤ 3) fits"
    for row in table.rows:
        n = row["n_1x1"]
        _, K, p = brute[n]
        assert row["K"] == "x".join(map(str, (1, *K)))
        assert row["params"] == p == count_block(parse_block(row["spec"])).params
        assert row["width"] == math.prod(K)
    # rows stop exactly where even K = 2…2 no longer fits
    n_max = max(r["n_1x1"] for r in table.rows)
    assert 2**n_max * (k * k + 2 * n_max) <= budget < 2 ** (n_max + 1) * (k * k + 2 * (n_max + 1))
    marked = [r for r in table.rows if r["near_ln_C"]]
    assert len(marked) == 1 and marked[0]["L"] == min(
        (r["L"] for r in table.rows), key=lambda L: (abs(L - table.bound["L"]), L))


def test_igcv2_table_reproduces_the_paper_block(reference):
    """IGCV2 Table 2 (igcdesign/data/igcv2_table2_blocks.csv): at the Xception budgets, the two-1×1
    row of the table is the paper's IGCV2 block."""
    rows = list(csv.DictReader(open(reference / "igcv2_table2_blocks.csv", newline="")))
    for xception, igcv2 in zip(rows[0::2], rows[1::2]):
        table = igcv2_table(int(xception["params"]), 3)
        two = next(r for r in table.rows if r["n_1x1"] == 2)
        assert parse_block(two["spec"]).spec == parse_block(igcv2["spec"]).spec


@settings(max_examples=30, deadline=None)
@given(budget=st.integers(50, 20000), k=st.integers(1, 3), t=st.integers(1, 6))
def test_igcv3_table_matches_brute_force(budget, k, t):
    table = igcv3_table(budget, k, 5.0, t, (1, 2, 4))
    assert len(table.rows) == 9
    for row in table.rows:
        g1, g2 = row["G1"], row["G2"]
        unit = g1 * g2

        def closed(C):
            return t * C * C // g1 + t * C * k * k + t * C * C // g2

        C = min((unit * j for j in range(1, budget + 2)), key=lambda C: (abs(closed(C) - budget), closed(C)))
        assert row["C"] == C and row["params"] == closed(C) == count_block(parse_block(row["spec"])).params
        assert row["paths"] == t * C // unit
        assert row["verdict"] == ("strict" if t * C == unit else "relaxed")


def test_igcv3_widest_within_budget_agrees_with_search():
    for budget in (4672, 10**5, 10**6):
        best = widest_all(budget, 3, ["igcv3"])[0]
        row = next(r for r in igcv3_table(budget, 3).rows if r["G1"] == 2 and r["G2"] == 2)
        # the closest C is the widest fitting one or the next multiple of G1·G2 above
        assert row["C"] in (best.width, best.width + 4)


# --- CLI ------------------------------------------------------------------------------------


def test_cli_json_shape(cli):
    result = cli("table", "--params", "4672", "--kernel", "3", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["budget"] == 4672 and doc["kernel"] == 3
    assert {"L", "M", "params", "width", "widest"} <= set(doc["rows"][0])
    assert sum(r["widest"] for r in doc["rows"]) == 1
    assert doc["bound"]["width"] > max(r["width"] for r in doc["rows"] if r["params"] <= 4672)


def test_cli_all_families_and_formats(cli):
    doc = cli("table", "--params", "1e4", "--family", "all", "--json").json()
    assert [t["family"] for t in doc["tables"]] == ["igcv1", "igcv2", "igcv3"]
    text = cli("table", "--params", "4672", "--csv").stdout
    rows = list(csv.DictReader(text.splitlines()))
    assert rows and all(int(r["params"]) == igcv1_closed(int(r["L"]), int(r["M"]), 3) for r in rows)
    md = cli("table", "--params", "4672", "--markdown").stdout
    assert md.count("\n| ") >= 10 and "**28**" in md  # the widest row in bold
    tex = cli("table", "--params", "4672", "--family", "igcv2", "--latex").stdout
    assert "\\begin{tabular}" in tex and "\\end{tabular}" in tex
    human = cli("table", "--params", "4672", "--family", "igcv3")
    assert human.exit_code == 0 and "G1" in human.stdout


@pytest.mark.parametrize("args", [
    ["--params", "0"], ["--params", "-5"], ["--params", "abc"], ["--params", "100", "--family", "igcv9"],
    ["--params", "100", "--tolerance", "-1"], ["--params", "100", "--json", "--csv"],
    ["--params", "100", "--kernel", "0"], ["--params", "100", "--family", "igcv3", "--groups", "0,2"],
    ["--params", "1e15"],
])
def test_cli_bad_options(cli, args):
    result = cli("table", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "error" in result.stderr
