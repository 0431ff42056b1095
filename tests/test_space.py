"""Design-space enumeration (`igcdesign space`) against brute force, count, widest and connectivity."""

from __future__ import annotations

import csv
import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.counting import count_block
from igcdesign.search import widest_all
from igcdesign.designspace import Filters, enumerate_space, front_mask, write_space
from igcdesign.families import parse_block


def igcv1_closed(L, M, k):
    return L * M * M * k * k + M * L * L  # docs/conventions.md §1


def igcv2_closed(K, k):
    return math.prod(K) * (k * k * K[0] + sum(K[1:]))  # docs/conventions.md §1: Q = C·(S·K₁ + K₂ + … + K_L)


def igcv3_closed(C, t, g1, g2, k):
    return t * C * C // g1 + t * C * k * k + t * C * C // g2


# --- brute force ----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(budget=st.integers(1, 3000), k=st.integers(1, 4))
def test_igcv1_space_is_every_fitting_pair(budget, k):
    frame = enumerate_space("igcv1", budget, k).frame
    brute = {(L, M) for L in range(1, budget + 1) for M in range(1, budget + 1) if igcv1_closed(L, M, k) <= budget
             } if budget <= 400 else None
    got = set(zip(frame["L"], frame["M"]))
    if brute is not None:
        assert got == brute
    assert all(igcv1_closed(L, M, k) <= budget for L, M in got)
    # maximal: one more L or M no longer fits (params grow in both)
    for L, M in got:
        if (L + 1, M) not in got:
            assert igcv1_closed(L + 1, M, k) > budget
    assert (frame["params"].to_numpy() == [igcv1_closed(L, M, k) for L, M in zip(frame["L"], frame["M"])]).all()


def factorisations(n, smallest=2):
    """Every multiset of factors ≥ smallest whose product is n (non-decreasing tuples)."""
    if n == 1:
        yield ()
    for d in range(smallest, n + 1):
        if n % d == 0:
            for rest in factorisations(n // d, d):
                yield (d, *rest)


def brute_igcv2(budget, k):
    """By width: every C, every K₁ dividing it, every factorisation of C/K₁ into 1×1 branch sizes."""
    found = set()
    for C in range(2, budget // (k * k + 2) + 1):
        for K1 in range(1, C):
            if C % K1 == 0:
                for tail in factorisations(C // K1):
                    K = (K1, *sorted(tail, reverse=True))
                    if igcv2_closed(K, k) <= budget:
                        found.add(K)
    return found


@settings(max_examples=15, deadline=None)
@given(budget=st.integers(10, 1500), k=st.integers(1, 3))
def test_igcv2_space_is_every_strictly_complementary_chain(budget, k):
    frame = enumerate_space("igcv2", budget, k).frame
    got = {tuple(int(x) for x in K.split("x")) for K in frame["K"]}
    assert got == brute_igcv2(budget, k)
    assert len(got) == len(frame)  # no sequence twice (up to order of the 1×1 convs)
    for K, width, params in zip(frame["K"], frame["width"], frame["params"]):
        K = tuple(int(x) for x in K.split("x"))
        assert width == math.prod(K) and params == igcv2_closed(K, k)


@settings(max_examples=25, deadline=None)
@given(budget=st.integers(10, 5000), k=st.integers(1, 3), t=st.integers(1, 6))
def test_igcv3_space_is_every_config_check_accepts(budget, k, t):
    """Default rule: every valid (C, G1, G2) (C_out = C) that check calls strict or relaxed;
    --rule paper: the IGCV3 paper's super-channel rule, G1·G2 divides C."""
    from igcdesign.connectivity import analyze

    frame = enumerate_space("igcv3", budget, k, expansion=t).frame
    got = set(zip(frame["C"], frame["G1"], frame["G2"]))
    valid = {(C, g1, g2) for C in range(1, budget // (t * k * k) + 1)
             for g1 in range(1, C + 1) if C % g1 == 0 for g2 in range(1, C + 1)
             if C % g2 == 0 and igcv3_closed(C, t, g1, g2, k) <= budget}
    checked = {(C, g1, g2) for C, g1, g2 in valid
               if analyze(f"igcv3:C={C},t={t},G1={g1},G2={g2},k={k}", fix=False).verdict in ("strict", "relaxed")}
    assert got == checked
    paper = enumerate_space("igcv3", budget, k, expansion=t, rule="paper").frame
    assert set(zip(paper["C"], paper["G1"], paper["G2"])) == {(C, g1, g2) for C, g1, g2 in valid if C % (g1 * g2) == 0}


# --- one source of truth ------------------------------------------------------------------------


@pytest.mark.parametrize("family,budget,kwargs", [
    ("igcv1", 200_000, {}), ("igcv2", 50_000, {}), ("igcv3", 200_000, {"expansion": 6}), ("igcv3", 50_000, {"expansion": 4}),
])
def test_rows_agree_with_count(family, budget, kwargs):
    space = enumerate_space(family, budget, 3, hw=14, **kwargs)
    frame = space.frame
    rng = np.random.default_rng(0)
    for i in rng.choice(len(frame), size=min(150, len(frame)), replace=False):
        row = frame.iloc[int(i)]
        block = parse_block(row["config"])
        assert block.spec == row["config"]  # canonical spec text
        c = count_block(block, 14)
        assert (c.params, c.mult_adds, c.mem_access, c.width) == (row["params"], row["mult_adds"], row["mem_access"], row["width"])


@pytest.mark.parametrize("budget", [100, 4672, 17536, 10**5, 10**6])
def test_widest_row_agrees_with_search(budget):
    for family in ("igcv1", "igcv2"):
        best = widest_all(budget, 3, [family])[0]
        frame = enumerate_space(family, budget, 3).frame
        assert frame["width"].max() == best.width
        top = frame[frame["width"] == best.width]["params"].min()
        assert top == best.params
    frame = enumerate_space("igcv3", budget, 3).frame
    sub = frame[(frame["G1"] == 2) & (frame["G2"] == 2)]
    best = widest_all(budget, 3, ["igcv3"])[0].width
    assert (int(sub["width"].max()) if len(sub) else None) == best


def test_verdicts_agree_with_connectivity():
    """Theory's verdicts (IGCV1/2 strict, IGCV3 t·C/(G1·G2) paths) against exact path counts."""
    from igcdesign.connectivity import path_matrix

    for family, budget, t in (("igcv1", 3000, 6), ("igcv2", 1500, 6), ("igcv3", 6000, 2), ("igcv3", 6000, 6)):
        frame = enumerate_space(family, budget, 3, expansion=t).frame
        for row in frame.itertuples(index=False):
            P = path_matrix(parse_block(row.config).chain)
            if row.verdict == "strict":
                assert (P == 1).all(), row.config
            else:
                assert row.verdict == "relaxed" and (P == P.flat[0]).all() and P.flat[0] >= 2, row.config
                assert P.flat[0] == row.paths


# --- filters and the Pareto front ---------------------------------------------------------------


def test_filters():
    full = enumerate_space("igcv1", 10**5, 3).frame
    f = enumerate_space("igcv1", 10**5, 3, filters=Filters(minimum={"M": 4, "width": 100}, maximum={"L": 50})).frame
    expected = full[(full["M"] >= 4) & (full["width"] >= 100) & (full["L"] <= 50)]
    assert list(f["config"]) == list(expected["config"])
    m8 = enumerate_space("igcv1", 10**6, 3, filters=Filters(multiple_of=8)).frame
    # width, M (primary channels per group) and L (secondary) multiples of 8, or channel-wise (1)
    assert len(m8) and all((w % 8 == 0) and (M % 8 == 0 or M == 1) and (L % 8 == 0 or L == 1)
                           for w, L, M in zip(m8["width"], m8["L"], m8["M"]))
    cw = enumerate_space("igcv2", 5000, 3, filters=Filters(channelwise=True)).frame
    assert (cw["K1"] == 1).all() and len(cw) < len(enumerate_space("igcv2", 5000, 3).frame)


def brute_front(points):
    keep = []
    for i, (a, b) in enumerate(points):
        dominated = any(a2 >= a and b2 >= b and (a2 > a or b2 > b) for a2, b2 in points)
        keep.append(not dominated)
    return keep


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), max_size=30))
def test_front_matches_brute_force(points):
    a = np.array([p[0] for p in points], dtype=np.int64)
    b = np.array([p[1] for p in points], dtype=np.int64)
    assert list(front_mask(a, b)) == brute_front(points)


def test_pareto_front_of_a_space():
    space = enumerate_space("igcv1", 20000, 3, pareto=("width", "params"))
    full = enumerate_space("igcv1", 20000, 3).frame
    pts = list(zip(full["width"], -full["params"]))
    expected = {c for c, keep in zip(full["config"], brute_front(pts)) if keep}
    assert set(space.frame["config"]) == expected
    widths = sorted(space.frame["width"])
    assert widths[-1] == widest_all(20000, 3, ["igcv1"])[0].width


# --- the 254,995-row CSV and the CLI ------------------------------------------------------------


def test_all_igcv1_configurations_within_1e8_to_csv(tmp_path):
    """Issue 4: all 254,995 IGCV1 configurations within 10⁸ params to CSV (its speed is
    benchmarks/bench_space.py's to measure: a wall-clock bound here failed under load)."""
    space = enumerate_space("igcv1", 10**8, 3)
    out = tmp_path / "igcv1.csv"
    write_space(space, out)
    assert len(space.frame) == 254_995
    with out.open(newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    assert rows == 254_995


def test_cli_out_csv_and_json(cli, tmp_path):
    result = cli("space", "--family", "igcv1", "--max-params", "1e4", "--out", str(tmp_path / "s.csv"), "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    rows = list(csv.DictReader((tmp_path / "s.csv").open(newline="")))
    assert len(rows) == doc["count"] == doc["total"]
    assert list(rows[0])[:6] == ["config", "width", "params", "mult_adds", "mem_access", "verdict"]
    assert all(int(r["params"]) <= 10**4 for r in rows)
    result = cli("space", "-f", "igcv3", "-p", "5000", "--pareto", "--objectives", "width,mem_access",
                 "--out", str(tmp_path / "s.json"))
    assert result.exit_code == 0, result.stderr
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["pareto"] == ["width", "mem_access"] and len(doc["rows"]) == doc["count"] > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_json_stdout_has_the_top_rows(cli):
    doc = cli("space", "-f", "igcv2", "-p", "300", "--json", "--top", "1000").json()
    assert len(doc["rows"]) == doc["count"] and all(r["verdict"] == "strict" for r in doc["rows"])
    human = cli("space", "-f", "igcv1", "-p", "5000", "--min-M", "3", "--multiple-of", "2", "--top", "3")
    assert human.exit_code == 0 and "igcv1:L=" in human.stdout


@pytest.mark.parametrize("args", [
    ["-f", "igcv1", "-p", "0"], ["-f", "igcv1", "-p", "-3"], ["-f", "igcv9", "-p", "100"],
    ["-f", "igcv1", "-p", "100", "--objectives", "width,speed"], ["-f", "igcv1", "-p", "100", "--objectives", "width"],
    ["-f", "igcv1", "-p", "100", "--min", "Q=3"], ["-f", "igcv1", "-p", "100", "--min", "M"],
    ["-f", "igcv1", "-p", "100", "--multiple-of", "0"], ["-f", "igcv1", "-p", "1e12"],
    ["-f", "igcv1", "-p", "100", "--hw", "0"],
])
def test_cli_bad_options(cli, args):
    result = cli("space", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["s.txt", "s", "missing/s.csv"])
def test_cli_bad_out_leaves_no_file(cli, tmp_path, name):
    target = tmp_path / name
    result = cli("space", "-f", "igcv1", "-p", "100", "--out", str(target))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    space = enumerate_space("igcv1", 10**6, 3)
    target = tmp_path / "s.csv"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    import pandas as pd

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    from igcdesign.errors import IGCError

    with pytest.raises(IGCError, match="s.csv: cannot write"):  # one line for the CLI, naming the target
        write_space(space, target)
    assert list(tmp_path.iterdir()) == []
