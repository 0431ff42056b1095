"""Every registered family, the way timm's tests run over every registered model: what `widest`,
`table` and `space` report (verdicts, paths, super-channels, params, mult-adds) is what
`analyze()` and `count_block()` say of the same chain; and when a chain changes, they follow."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igcdesign.connectivity import analyze
from igcdesign.connectivity.structure import BALANCED, REDUNDANT, SPARSE, UNDECIDED, two_stage
from igcdesign.counting import count_block
from igcdesign.families import FAMILIES, families_supporting, parse_block, widest_families
from igcdesign.search import widest_all
from igcdesign.designspace import enumerate_space
from igcdesign.tables import width_table

WIDEST = widest_families()
TABLES = families_supporting("table")
SPACES = families_supporting("space")


def agrees_with_check(spec: str, verdict: str, paths, super_channels=None) -> None:
    check = analyze(spec, fix=False)
    assert verdict == check.verdict, spec
    if verdict in ("strict", "relaxed"):
        assert paths == check.paths_min == check.paths_max, spec
    if verdict == "relaxed" and super_channels is not None and check.super_channels is not None:
        assert super_channels == check.super_channels, spec


def test_registry_lists_are_the_commands_lists():
    assert WIDEST == [name for name, f in FAMILIES.items() if "widest" in f.supports]
    assert "shufflenetv1" in WIDEST and "shufflenetv1" in TABLES and "shufflenetv1" in SPACES
    assert widest_families(default=True) == ["regular", "dwsep", "igcv1", "igcv2", "igcv3"]


@pytest.mark.parametrize("family", WIDEST)
@pytest.mark.parametrize("budget", [500, 4672, 10**5, 10**6])
def test_widest_agrees_with_count_and_check(family, budget):
    (result,) = widest_all(budget, 3, [family])
    if result.width is None:
        return
    counted = count_block(parse_block(result.spec), 32)
    assert (counted.params, counted.width) == (result.params, result.width) and result.params <= budget
    assert analyze(result.spec, fix=False).verdict in ("strict", "relaxed")


@pytest.mark.parametrize("family", TABLES)
@pytest.mark.parametrize("budget", [4672, 17536, 10**5])
def test_table_rows_agree_with_count_and_check(family, budget):
    table = width_table(family, budget, 3)
    assert table.rows and sum(r["widest"] for r in table.rows) == 1
    for row in table.rows:
        counted = count_block(parse_block(row["spec"]), 32)
        assert counted.params == row["params"] and counted.width == row["width"]
        agrees_with_check(row["spec"], row["verdict"], row["paths"], row.get("C_s"))
        assert row["within_budget"] == (row["params"] <= budget)
    (marked,) = [r for r in table.rows if r["widest"]]
    assert marked["params"] <= budget
    assert marked["width"] == max(r["width"] for r in table.rows if r["params"] <= budget)


@pytest.mark.parametrize("family", SPACES)
def test_space_rows_agree_with_count_and_check(family):
    frame = enumerate_space(family, 3000, 3, hw=8).frame
    assert len(frame)
    rng = np.random.default_rng(1)
    for i in rng.choice(len(frame), size=min(60, len(frame)), replace=False):
        row = frame.iloc[int(i)]
        counted = count_block(parse_block(row["config"]), 8)
        assert (counted.params, counted.mult_adds, counted.mem_access) == (row["params"], row["mult_adds"], row["mem_access"])
        paths = int(row["paths"]) if "paths" in frame.columns else 1
        agrees_with_check(row["config"], row["verdict"], paths, int(row["C_s"]) if "C_s" in frame.columns else None)


@pytest.mark.parametrize("family", SPACES)
def test_space_keeps_exactly_the_blocks_check_accepts_among_its_axes(family):
    """Every enumerated row is accepted by check; every fitting block of the family's axes that
    check accepts is a row (small budget, brute force over the raw axes)."""
    fam = FAMILIES[family]
    budget = 1500
    frame = enumerate_space(family, budget, 3).frame
    rows = set(frame["config"])
    from igcdesign.families.base import DesignOptions

    for config, _ in fam.space_axes(budget, 3, DesignOptions(), False):
        n = len(next(v for v in config.values() if hasattr(v, "dtype") and v.ndim))
        for i in range(n):
            one = {k: (tuple(int(x[i]) if hasattr(x, "dtype") else x for x in v) if isinstance(v, tuple)
                       else int(v[i]) if hasattr(v, "dtype") and v.ndim else v)
                   for k, v in config.items() if not k.startswith("_")}
            if "_text" in config:  # IGCV2: the space lists the 1×1 branch sizes largest first
                one["K"] = tuple(int(x) for x in config["_text"][i].split("x"))
            block = fam.make(**one, k=3)
            if block.params() > budget:
                continue
            accepted = analyze(block, fix=False).verdict in ("strict", "relaxed")
            assert (block.spec in rows) == accepted, block.spec


# --- when the chain changes, table, space and widest follow it ---------------------------------


def igcv3_without_shuffle(self, C, t, G1, G2, k, Cout, **_):
    from igcdesign.families.base import make_chain

    Cint = t * C
    return make_chain([C, Cint, Cint, Cout], [G1, Cint, G2], [1, k, 1], ["i", "i"],
                      names=["expand", "channel-wise", "reduce"])


def test_dropping_igcv3s_shuffle_changes_every_answer(monkeypatch):
    before_table = width_table("igcv3", 10**5, 3)
    assert {(r["G1"], r["G2"]): r["verdict"] for r in before_table.rows}[(2, 2)] == "relaxed"
    before_space = enumerate_space("igcv3", 20_000, 3).frame
    before_widest = widest_all(10**6, 3, ["igcv3"])[0]
    assert before_widest.width == 402

    from igcdesign.families.igcv3 import IGCV3

    monkeypatch.setattr(IGCV3, "chain", igcv3_without_shuffle)
    assert analyze("igcv3:C=24,t=6,G1=2,G2=2").verdict == "sparse"
    table = width_table("igcv3", 10**5, 3)
    verdicts = {(r["G1"], r["G2"]): r["verdict"] for r in table.rows}
    # without the shuffle only a dense 1×1 conv on one side still joins every pair
    assert (2, 2) not in verdicts and all(1 in key for key in verdicts)
    for row in table.rows:
        agrees_with_check(row["spec"], row["verdict"], row["paths"], row.get("C_s"))
    space = enumerate_space("igcv3", 20_000, 3).frame
    assert len(space) < len(before_space) and ((space["G1"] == 1) | (space["G2"] == 1)).all()
    widest = widest_all(10**6, 3, ["igcv3"])[0]
    assert widest.width is None and "rule" in widest.note


# --- the structural verdicts and the family's stated equivalences, against analyze() ------------


@st.composite
def two_stage_chains(draw):
    """A conv with a groups, an optional channel-wise conv, a gap, a conv with b groups."""
    a = draw(st.integers(1, 6))
    b = draw(st.integers(1, 6))
    per = draw(st.integers(1, 4))
    width = math.lcm(a, b) * per
    cin = a * draw(st.integers(1, 3))
    cout = b * draw(st.integers(1, 3))
    middle = draw(st.booleans())
    gap = draw(st.sampled_from(["s", "i", "g"]))
    token = gap if gap != "g" else str(draw(st.sampled_from([d for d in range(1, width + 1) if width % d == 0])))
    if middle:
        spec = f"chain:W={cin}/{width}/{width}/{cout},G={a}/{width}/{b},k=1/3/1,P={token}/i"
    else:
        spec = f"chain:W={cin}/{width}/{cout},G={a}/{b},k=1/1,P={token}"
    return spec


@settings(max_examples=300, deadline=None)
@given(two_stage_chains())
def test_structure_decides_as_analyze_does(spec):
    block = parse_block(spec)
    found = two_stage(block.chain)
    check = analyze(block, fix=False)
    code = found["code"]
    if code == UNDECIDED:
        return
    expected = {"sparse": SPARSE, "redundant": REDUNDANT}.get(check.verdict, BALANCED)
    assert code == expected, spec
    if code == BALANCED:
        assert found["paths"] == check.paths_min == check.paths_max, spec
        if check.verdict == "relaxed" and check.super_channels is not None:
            assert found["super_channels"] == check.super_channels, spec


@settings(max_examples=150, deadline=None)
@given(K=st.lists(st.integers(1, 5), min_size=2, max_size=4), k=st.integers(1, 3))
def test_igcv2_representative_has_the_verdict_class_of_the_chain(K, k):
    """IGCV2's stated equivalence: with ∏K = C every chain is balanced like its small stand-in."""
    fam = FAMILIES["igcv2"]
    config = fam.make(K=tuple(K), k=k).config
    rep = fam.verdict_representative(config)
    balanced = analyze(fam.make(**config), fix=False).verdict in ("strict", "relaxed")
    assert balanced == (analyze(fam.make(**rep), fix=False).verdict in ("strict", "relaxed"))


# --- ShuffleNet V1: one module and one registry line -------------------------------------------


def test_shufflenet_unit_counts_as_the_paper_defines_it():
    """arXiv 1707.01083 §3.2: 1×1 GConv (g) to C/4, shuffle, 3×3 DWConv, 1×1 GConv (g) back to C."""
    C, g = 240, 3
    m = C // 4
    closed = C * m // g + 9 * m + m * C // g
    block = parse_block(f"shufflenetv1:C={C},g={g}")
    assert count_block(block).params == closed == 10_140
    assert block.spec == "shufflenetv1:C=240,g=3,k=3"


def test_shufflenet_everywhere_from_the_cli(cli):
    widest = cli("widest", "-p", "1e5", "-f", "shufflenetv1", "--json").json()["results"][0]
    assert cli("check", widest["spec"]).exit_code == 0
    table = cli("table", "-p", "1e5", "-f", "shufflenetv1", "--json").json()
    assert [r["g"] for r in table["rows"] if r["widest"]] and table["rule"] == "checked"
    space = cli("space", "-f", "shufflenetv1", "-p", "2e4", "--json").json()
    assert space["count"] > 0 and all(r["verdict"] in ("strict", "relaxed") for r in space["rows"])
    assert cli("derive", "shufflenetv1", "--json").json()["family"] == "shufflenetv1"
    paper = cli("widest", "-p", "1e5", "-f", "shufflenetv1", "--rule", "paper", "--json").json()
    assert paper["rule"] == "paper" and paper["results"][0]["width"] >= widest["width"]
