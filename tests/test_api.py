"""The public library API (`import igcdesign`): lazy, documented, the CLI's answers as values.

Each function is compared with what its command prints under --json/--csv (the API promises the
CLI's answers) and, where one exists, with a closed form or a brute force.
"""

from __future__ import annotations

import doctest
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import igcdesign
from igcdesign.errors import IGCError, SpecError

README = Path(__file__).resolve().parents[1] / "README.md"


def library_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## As a library")
    return text[start:text.index("\n## ", start + 1)]


# --- the surface ------------------------------------------------------------------------------
def test_import_is_lazy_and_light():
    code = ("import sys, igcdesign; heavy = ('torch', 'pandas', 'matplotlib', 'sympy', 'numpy', 'typer', 'rich', "
            "'igcdesign.api'); print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_counting_through_the_api_imports_nothing_heavy():
    code = ("import sys, igcdesign; igcdesign.count('igcv1:L=4,M=8'); igcdesign.widest(1e6); "
            "print([m for m in ('torch', 'pandas', 'matplotlib', 'sympy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", igcdesign.__all__)
def test_every_exported_name_is_documented_and_in_the_readme(name):
    value = getattr(igcdesign, name)
    assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    assert re.search(rf"igcdesign\.{name}\b", library_section()), f"{name} is not used in the README's library section"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        igcdesign.no_such_name  # noqa: B018
    assert set(igcdesign.__all__) <= set(dir(igcdesign))


def test_the_function_space_is_not_shadowed_by_a_submodule():
    import igcdesign.designspace  # noqa: F401 (importing every submodule must leave the API alone)
    import igcdesign.tables  # noqa: F401

    assert callable(igcdesign.space) and callable(igcdesign.table) and igcdesign.space.__module__ == "igcdesign.api"


def test_readme_library_section_is_a_passing_doctest():
    blocks = re.findall(r"```python\n(.*?)```", library_section(), re.S)
    assert len(blocks) >= 2 and all(">>>" in b for b in blocks)
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    names: dict = {}  # the blocks run in order in one namespace, as a reader types them
    report: list[str] = []
    for i, block in enumerate(blocks):
        if "import torch" in block:
            pytest.importorskip("torch")
        test = parser.get_doctest(block, names, f"README library block {i + 1}", str(README), 0)
        result = runner.run(test, out=report.append, clear_globs=False)
        names.update(test.globs)  # DocTest copies the namespace it is given
        assert result.failed == 0 and result.attempted > 0, "".join(report)


# --- parse and count --------------------------------------------------------------------------
def test_parse_takes_a_spec_or_a_block():
    block = igcdesign.parse("igcv1:L=4,M=8")
    assert isinstance(block, igcdesign.Block) and igcdesign.parse(block) is block
    assert block.spec == "igcv1:L=4,M=8,k=3"  # the CLI's default kernel
    with pytest.raises(SpecError):
        igcdesign.parse("igcv1:L=4")
    with pytest.raises(SpecError):
        igcdesign.parse(42)


@pytest.mark.parametrize("L, M, k, hw", [(4, 8, 3, 32), (1, 1, 1, 1), (7, 3, 5, 9), (12, 2, 3, 16)])
def test_count_is_the_closed_form_of_igcv1(L, M, k, hw):
    # primary: L groups of M→M k×k convs; secondary: M groups of L→L 1×1 convs (the IGCV1 paper)
    params = L * M * M * k * k + M * L * L
    c = igcdesign.count(f"igcv1:L={L},M={M},k={k}", hw=hw)
    assert c.params == params and c.mult_adds == params * hw * hw
    assert sum(row["params"] for row in c.layers) == params


def test_count_defaults_and_the_cli_agree(cli):
    doc = cli("count", "igcv3:C=24,t=6,G1=2,G2=2", "--json").json()
    c = igcdesign.count("igcv3:C=24,t=6,G1=2,G2=2")
    assert (c.params, c.mult_adds, c.mem_access, c.layers) == (doc["params"], doc["mult_adds"], doc["mem_access"], doc["layers"])
    with pytest.raises(IGCError):
        igcdesign.count("igcv1:L=4,M=8", hw=0)


def test_count_block_and_path_matrix_take_what_a_user_passes():
    import numpy as np

    from igcdesign.connectivity import path_matrix
    from igcdesign.counting import count_block
    from igcdesign.families import parse_block

    block = parse_block("igcv1:L=2,M=3")
    assert count_block("igcv1:L=2,M=3") == count_block(block)
    p = path_matrix(block.chain)
    assert np.array_equal(path_matrix(block), p) and np.array_equal(path_matrix("igcv1:L=2,M=3"), p)
    assert p.shape == (6, 6) and (p == 1).all()  # IGCV1 is strictly complementary


# --- widest -----------------------------------------------------------------------------------
def brute_widest_igcv1(budget: int, k: int) -> int:
    best = 0
    for M in range(1, budget + 1):
        if M * M * k * k + M > budget:
            break
        for L in itertools.count(1):
            if L * M * (M * k * k + L) > budget:
                break
            best = max(best, L * M)
    return best


@pytest.mark.parametrize("budget", [1e6, "1e6", 1_000_000, "1_000_000", "1M", 1000000.0])
def test_widest_takes_budgets_as_the_cli_does(budget, cli):
    doc = cli("widest", "--params", "1e6", "--json").json()
    assert [r.as_dict() for r in igcdesign.widest(budget)] == doc["results"]


@pytest.mark.parametrize("budget", [100, 4672, "17.5k", 31_000])
def test_widest_igcv1_is_the_brute_force_optimum(budget):
    (result,) = igcdesign.widest(budget, family="igcv1")
    total = int(float(str(budget).rstrip("k")) * (1000 if str(budget).endswith("k") else 1))
    assert result.family == "igcv1" and result.width == brute_widest_igcv1(total, 3)
    assert result.params <= total and igcdesign.count(result.spec).params == result.params
    assert igcdesign.parse(result.spec).width == result.width


def test_widest_family_selection_and_errors():
    names = [r.family for r in igcdesign.widest(1e4, family=["igcv2", "dwsep"])]
    assert names == ["igcv2", "dwsep"]
    assert [r.family for r in igcdesign.widest(1e4, family="igcv1,regular")] == ["igcv1", "regular"]
    for bad in (-5, 0, 1.5, "x", True):
        with pytest.raises(IGCError):
            igcdesign.widest(bad)
    with pytest.raises(IGCError):
        igcdesign.widest(1e4, family="nope")
    with pytest.raises(IGCError):
        igcdesign.widest(1e4, kernel=0)


# --- check ------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["igcv1:L=4,M=8", "igcv2:C=64,K=1x4x4", "igcv3:C=24,t=6,G1=2,G2=2",
                                  "chain:W=8/8/8,G=2/2,P=i", "igcv2:K=1x4x4x4"])
def test_check_paths_are_the_dense_path_counts(spec):
    from igcdesign.connectivity import path_matrix

    p = path_matrix(spec)  # numpy product of the chain's layers, small enough to form densely
    r = igcdesign.check(spec)
    assert (r.min_paths, r.max_paths) == (int(p.min()), int(p.max()))
    expected = "sparse" if p.min() == 0 else ("strict" if p.max() == 1 else "relaxed" if p.min() == p.max() else "redundant")
    assert r.verdict == expected
    assert (r.fix is None) == (expected in ("strict", "relaxed"))


def test_check_with_explicit_permutations_and_the_cli(cli):
    r = igcdesign.check("chain:W=4/4/4,G=2/2,P=i", perms=[[0, 2, 1, 3]])
    assert r.verdict == "strict" and igcdesign.check("chain:W=4/4/4,G=2/2,P=i").verdict == "sparse"
    doc = cli("check", "igcv2:C=64,K=1x4x4", "--json").json()
    assert igcdesign.check("igcv2:C=64,K=1x4x4").as_dict() == doc


# --- table ------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["igcv1", "igcv2", "igcv3", "all"])
def test_table_rows_and_frame_are_the_clis(family, cli):
    t = igcdesign.table(4672, family=family)
    doc = cli("table", "--params", "4672", "--family", family, "--json").json()
    if family == "all":
        assert [tab.as_dict() for tab in t.tables] == doc["tables"]
    else:
        assert t.rows == doc["rows"]
    csv = cli("table", "--params", "4672", "--family", family, "--csv").stdout
    frame = t.to_frame()
    assert list(frame.columns) == csv.splitlines()[0].split(",")
    assert len(frame) == len(csv.splitlines()) - 1 == len(t.rows)


def test_table_widest_is_within_the_budget_and_errors():
    t = igcdesign.table("4672")
    assert all(row["params"] <= 4672 for row in t.widest)
    with pytest.raises(IGCError):
        igcdesign.table(4672, family="nope")
    with pytest.raises(IGCError):
        igcdesign.table(4672, tolerance=-1)


# --- space ------------------------------------------------------------------------------------
def test_space_is_the_clis_csv(cli, tmp_path):
    import pandas as pd

    out = tmp_path / "space.csv"
    assert cli("space", "-f", "igcv1", "-p", "3000", "--out", str(out)).exit_code == 0
    frame = igcdesign.space("igcv1", 3000).to_frame()
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), pd.read_csv(out), check_dtype=False)
    rows = igcdesign.space("igcv1", 3000).rows
    assert rows == [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in frame.to_dict("records")]


def test_space_counts_every_igcv1_block_by_brute_force():
    budget = 3000
    expected = {(L, M) for M in range(1, 60) for L in range(1, 300) if L * M * (M * 9 + L) <= budget}
    s = igcdesign.space("igcv1", budget)
    assert {(r["L"], r["M"]) for r in s.rows} == expected and len(s) == s.total == len(expected)


@pytest.mark.parametrize("x, y", [("width", "params"), ("width", "mem_access"), ("params", "mult_adds")])
def test_pareto_is_the_brute_force_front_and_the_clis(x, y, cli, tmp_path):
    import pandas as pd

    s = igcdesign.space("igcv1", 3000)
    sense = {"width": 1, "params": -1, "mult_adds": -1, "mem_access": -1}
    points = [(r[x] * sense[x], r[y] * sense[y]) for r in s.rows]
    dominated = {i for i, a in enumerate(points) for b in points
                 if b[0] >= a[0] and b[1] >= a[1] and b != a}
    front = s.pareto(x, y)
    assert sorted(r["config"] for r in front.rows) == sorted(s.rows[i]["config"] for i in range(len(points)) if i not in dominated)
    out = tmp_path / "front.csv"
    assert cli("space", "-f", "igcv1", "-p", "3000", "--pareto", "--objectives", f"{x},{y}", "--out", str(out)).exit_code == 0
    pd.testing.assert_frame_equal(front.to_frame(), pd.read_csv(out), check_dtype=False)


def test_space_filters_and_errors():
    s = igcdesign.space("igcv1", "1e4", minimum={"M": 4}, multiple_of=2)
    assert s.rows and all(r["M"] >= 4 and r["width"] % 2 == 0 for r in s.rows)
    with pytest.raises(IGCError):
        igcdesign.space("nope", 1e4)
    with pytest.raises(IGCError):
        igcdesign.space("igcv1", 1e4).pareto("width", "width")
    with pytest.raises(IGCError):
        igcdesign.space("igcv1", 1e4).pareto("width", "C_int")  # IGCV3 only


# --- net and derive ---------------------------------------------------------------------------
@pytest.mark.parametrize("args", [{}, {"bn": True}, {"fc": False}, {"classes": 100, "resolution": 64}])
def test_net_is_the_clis(args, cli):
    flags = (["--bn"] if args.get("bn") else []) + (["--no-fc"] if args.get("fc") is False else [])
    if "classes" in args:
        flags += ["--classes", str(args["classes"]), "--resolution", str(args["resolution"])]
    doc = cli("net", "igcv1-cifar:L=24,M=2,D=20", *flags, "--json").json()
    bn = args.pop("bn", False)
    assert igcdesign.net("igcv1-cifar:L=24,M=2,D=20", bn, **args).as_dict() == doc


def test_net_regular_cifar_closed_form():
    # RegConv-W16, D = 20: stem 3→16, then 3 stages of 6 3×3 convs at 16, 32, 64 (the first of a
    # stage from the previous width), FC 64→10 with bias (the IGCV1 paper's layout)
    widths, convs = [16, 32, 64], 0
    cin = 16
    for w in widths:
        convs += cin * w * 9 + 5 * w * w * 9
        cin = w
    assert igcdesign.net("regular-cifar:C=16,D=20").params == 3 * 16 * 9 + convs + 64 * 10 + 10


def test_derive_is_the_clis_and_refuses_unknown_families(cli):
    pytest.importorskip("sympy")
    doc = cli("derive", "igcv1", "--json").json()
    steps = igcdesign.derive("igcv1").steps
    assert [s.title for s in steps] == [s["title"] for s in doc["steps"]]
    with pytest.raises(IGCError):
        igcdesign.derive("regular")


# --- module -----------------------------------------------------------------------------------
SPECS = ["regular:C=8", "dwsep:C=8", "igcv1:L=4,M=2", "igcv2:K=1x4x2", "igcv3:C=8,t=2,G1=2,G2=2",
         "mobilenetv2:C=8,t=2", "chain:W=8/8/8,G=2/4,k=3/1,P=s"]


@pytest.mark.parametrize("spec", SPECS)
def test_module_scripts_traces_and_exports(spec):
    torch = pytest.importorskip("torch")
    m = igcdesign.module(spec).eval()
    c = igcdesign.count(spec, hw=6)
    assert sum(p.numel() for p in m.parameters()) == c.params
    x = torch.randn(2, igcdesign.parse(spec).chain[0].cin, 6, 6)
    with torch.no_grad():
        y = m(x)
        torch.testing.assert_close(torch.jit.script(m)(x), y)
        torch.testing.assert_close(torch.jit.trace(m, x)(x), y)
        torch.testing.assert_close(torch.export.export(m, (x,)).module()(x), y)
    assert y.shape == (2, c.width_out, 6, 6)


@pytest.mark.parametrize("spec", SPECS)
def test_module_is_fast_by_default_and_plain_on_request_with_equal_outputs(spec):
    torch = pytest.importorskip("torch")
    from igcdesign.probe.fast import FastChainModule

    fast = igcdesign.module(spec, bn=True, relu=True).eval()
    plain = igcdesign.module(spec, bn=True, relu=True, impl="plain").eval()
    assert isinstance(fast, FastChainModule) and not isinstance(plain, FastChainModule)
    fast.load_plain(plain)
    x = torch.randn(2, igcdesign.parse(spec).chain[0].cin, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(fast.double()(x), plain.double()(x), rtol=0, atol=1e-10)
    with pytest.raises(IGCError, match="--impl"):
        igcdesign.module(spec, impl="quick")


def test_module_bn_relu_and_a_block_argument():
    torch = pytest.importorskip("torch")
    block = igcdesign.parse("igcv1:L=4,M=8")
    m = igcdesign.module(block, bn=True, relu=True)
    assert sum(p.numel() for p in m.parameters()) == 2432 + 2 * 32
    *_, bn, relu = m.modules()  # BN then ReLU, after the block's own layers
    assert isinstance(relu, torch.nn.ReLU) and isinstance(bn, torch.nn.BatchNorm2d)
    with pytest.raises(SpecError):
        igcdesign.module("igcv1:L=0,M=8")


def test_api_json_values_round_trip():
    # what the API returns serialises as the CLI's JSON does (plain ints, strs, lists)
    json.dumps([r.as_dict() for r in igcdesign.widest(1e5)])
    json.dumps(igcdesign.table(4672).rows)
    json.dumps(igcdesign.space("igcv1", 1e3).rows)
