"""widest under practical constraints (--multiple-of, --max-convs, --min-group-size) and IGCV3
ranging over t, G1, G2: exact against brute force on small budgets, every answer check-accepted."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.connectivity import analyze
from igcdesign.constraints import Constraints
from igcdesign.errors import IGCError, SpecError
from igcdesign.families import parse_block
from igcdesign.layers import convs
from igcdesign.search import widest_all

ACCEPTED = ("strict", "relaxed")


def meets(block, multiple_of=None, max_convs=None, min_group_size=None) -> bool:
    """The constraints, written out from their definition on the block's convs."""
    layers = convs(block.chain)
    if max_convs is not None and len(layers) > max_convs:
        return False
    if multiple_of and block.width % multiple_of:
        return False
    for conv in layers:
        for per in (conv.cin // conv.groups, conv.cout // conv.groups):
            if per == 1:
                continue
            if multiple_of and per % multiple_of:
                return False
            if min_group_size and per < min_group_size:
                return False
    return True


def non_increasing_factorisations(n: int, largest: int):
    if n == 1:
        yield ()
    for f in range(min(n, largest), 1, -1):
        if n % f == 0:
            for rest in non_increasing_factorisations(n // f, f):
                yield (f, *rest)


def specs(family: str, budget: int, k: int, ts, g1s, g2s):
    """Every spec of the family's widest space that could fit the budget (a loose bound each)."""
    S = k * k
    if family == "regular":
        yield from (f"regular:C={C},k={k}" for C in range(1, math.isqrt(budget // S) + 1))
    elif family == "dwsep":
        yield from (f"dwsep:C={C},k={k}" for C in range(1, math.isqrt(budget) + 1))  # the 1×1 conv alone: C²
    elif family == "igcv1":
        for L in range(1, budget + 1):
            for M in range(1, budget // (L * S) + 2):
                if L * M * M * S > budget:
                    break
                yield f"igcv1:L={L},M={M},k={k}"
    elif family == "igcv2":  # channel-wise k×k, ∏K = C
        for C in range(2, budget // (S + 2) + 1):
            for tail in non_increasing_factorisations(C, C):
                if C * (S + sum(tail)) <= budget:
                    yield f"igcv2:K={'x'.join(map(str, (1, *tail)))},k={k}"
    elif family == "igcv3":
        for t in ts:
            for a in g1s:
                for b in g2s:
                    for C in range(1, budget // (t * S) + 1):
                        yield f"igcv3:C={C},t={t},G1={a},G2={b},k={k}"
    elif family == "shufflenetv1":
        for g in (1, 2, 3, 4, 8):
            for C in range(4, math.isqrt(2 * g * budget) + 5, 4):  # the two 1×1 convs alone: C²/(2g)
                yield f"shufflenetv1:C={C},g={g},k={k}"


def brute(family, budget, k, constraints: dict, ts=(6,), g1s=(2,), g2s=(2,)):
    """(width, params) of the widest accepted block that meets the constraints, fewest params on a tie."""
    best = None
    for spec in specs(family, budget, k, ts, g1s, g2s):
        try:
            block = parse_block(spec)
        except SpecError:
            continue
        params = block.params()
        if params > budget or not meets(block, **constraints):
            continue
        key = (block.width, -params)
        if best is not None and key <= best:
            continue
        if analyze(block, fix=False).verdict in ACCEPTED:
            best = key
    return (best[0], -best[1]) if best else (None, None)


CONSTRAINTS = st.fixed_dictionaries({}, optional={
    "multiple_of": st.sampled_from([2, 3, 4, 8]),
    "max_convs": st.integers(1, 5),
    "min_group_size": st.integers(2, 12),
})


@settings(max_examples=30, deadline=None)
@given(family=st.sampled_from(["regular", "dwsep", "igcv1", "igcv2", "igcv3", "shufflenetv1"]),
       budget=st.integers(30, 1500), k=st.sampled_from([1, 3]), constraints=CONSTRAINTS)
def test_widest_under_constraints_matches_brute_force(family, budget, k, constraints):
    (result,) = widest_all(budget, k, [family], constraints=Constraints(**constraints))
    assert (result.width, result.params) == brute(family, budget, k, constraints)
    if result.width:
        block = parse_block(result.spec)
        assert meets(block, **constraints) and analyze(block, fix=False).verdict in ACCEPTED


@settings(max_examples=15, deadline=None)
@given(budget=st.integers(50, 1500), k=st.sampled_from([1, 3]),
       ts=st.lists(st.integers(1, 6), min_size=1, max_size=2, unique=True),
       g1s=st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True),
       g2s=st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True), constraints=CONSTRAINTS)
def test_igcv3_ranging_over_t_g1_g2_matches_brute_force(budget, k, ts, g1s, g2s, constraints):
    (result,) = widest_all(budget, k, ["igcv3"], ts, g1s, g2s, constraints=Constraints(**constraints))
    assert (result.width, result.params) == brute("igcv3", budget, k, constraints, ts, g1s, g2s)
    if result.width:
        assert result.config["t"] in ts and result.config["G1"] in g1s and result.config["G2"] in g2s


def test_unconstrained_igcv2_walk_agrees_with_the_constrained_one():
    from igcdesign.families import FAMILIES

    igcv2 = FAMILIES["igcv2"]
    for budget in (500, 4672, 10**5, 10**6):
        (sizes, *_) = igcv2.constrained_walk(budget, 3, Constraints(max_convs=1000))
        assert math.prod(sizes) == igcv2.walk(budget, 3)[0]


def test_igcv2_at_one_million_within_four_convs():
    (result,) = widest_all(10**6, 3, ["igcv2"], constraints=Constraints(max_convs=4))
    assert len(convs(parse_block(result.spec).chain)) <= 4
    # K = 1x25x23x22: 12,650 channels, 12,650·(9 + 70) weights; brute force over three sizes:
    best = max((a * b * c, -(a * b * c) * (9 + a + b + c)) for a in range(2, 200) for b in range(2, a + 1)
               for c in range(2, b + 1) if a * b * c * (9 + a + b + c) <= 10**6)
    assert (result.width, result.params) == (best[0], -best[1]) == (12650, 999350)


def test_narrowed_by_names_the_constraints_that_bit():
    results = {r.family: r for r in widest_all(10**6, 3, constraints=Constraints(max_convs=4, min_group_size=2))}
    assert results["igcv2"].extra["narrowed_by"] == ["max_convs"]
    assert results["igcv1"].extra["narrowed_by"] == []
    assert results["regular"].extra["narrowed_by"] == []
    assert "narrowed_by" not in widest_all(10**6, 3)[0].extra


def test_impossible_constraints_say_so():
    (result,) = widest_all(10**6, 3, ["igcv3"], constraints=Constraints(max_convs=2))
    assert result.width is None and "constraints" in result.note


@pytest.mark.parametrize("kwargs", [dict(multiple_of=0), dict(max_convs=True), dict(min_group_size=1 << 30)])
def test_bad_constraints_are_refused(kwargs):
    with pytest.raises(IGCError):
        Constraints(**kwargs)


# --- the CLI and the API -------------------------------------------------------------------------


def test_cli_names_every_constraint_and_the_igcv3_ranges(cli):
    result = cli("widest", "-p", "1e6", "--multiple-of", "8", "--max-convs", "4", "--min-group-size", "8",
                 "-t", "1-6", "--g1", "1,2,4", "--g2", "2")
    assert result.exit_code == 0, result.stderr
    assert "group sizes and width multiples of 8" in result.stdout
    assert "at most 4 convs (narrowed igcv2" in result.stdout
    assert "group sizes at least 8 (narrowed none)" in result.stdout
    assert "igcv3 searched over t ∈ {1, 2, 3, 4, 5, 6}, G1 ∈ {1, 2, 4}, G2 ∈ {2}" in result.stdout
    assert "rule: checked" in result.stdout


def test_cli_json_is_one_document_with_the_constraints(cli):
    result = cli("widest", "-p", "1e5", "--multiple-of", "4", "-t", "2-3", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["constraints"] == {"multiple_of": 4}
    assert doc["constraints_meaning"] == ["group sizes and width multiples of 4"]
    assert doc["igcv3_search"] == {"t": [2, 3], "G1": [2], "G2": [2]}
    assert all("narrowed_by" in r for r in doc["results"])
    from igcdesign import api

    api = {r.family: r for r in api.widest("1e5", multiple_of=4, expansion="2-3")}
    assert {r["family"]: r["width"] for r in doc["results"]} == {name: r.width for name, r in api.items()}


@pytest.mark.parametrize("args", [
    ["--multiple-of", "0"], ["--max-convs", "x"], ["--min-group-size", "-1"], ["-t", "6-1"], ["-t", "0"],
    ["--g1", "1-100"], ["--g2", "a,b"], ["-t", "1-64", "--g1", "1-64", "--g2", "1-2"],
])
def test_cli_bad_constraints_are_one_line_errors(cli, args):
    result = cli("widest", "-p", "1e5", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_api_takes_ranges_as_text_or_lists():
    from igcdesign import api

    a = api.widest("1e5", family="igcv3", expansion=[1, 2, 3], g1=(1, 2), g2="1-2")
    b = api.widest("1e5", family="igcv3", expansion="1-3", g1="1,2", g2=[1, 2])
    assert a[0].spec == b[0].spec
    with pytest.raises(IGCError, match="--g1"):
        api.widest("1e5", family="igcv3", g1=[0])
