"""The symbolic formulas, the generated module and the integer chain counts agree."""

from __future__ import annotations

import math

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from igcdesign import formulas
from igcdesign.counting import count_block
from igcdesign.families import FAMILIES
from igcdesign.layers import chain_params
from igcdesign.symbolic import codegen
from igcdesign.symbolic import symbols as sy
from igcdesign.families import families_supporting

DERIVATIONS = {name: FAMILIES[name].derivation for name in families_supporting("derive")}
from igcdesign.symbolic.expressions import family_chain, family_costs


def test_generated_module_is_up_to_date():
    """Regenerating igcdesign/formulas.py from the derivations gives the committed file."""
    assert codegen.generate() == codegen.TARGET.read_text()


def test_every_derivation_runs_and_has_steps():
    for name, derive in DERIVATIONS.items():
        d = derive()
        assert d.family == name and len(d.steps) >= 5


def test_igcv1_results_are_the_papers():
    """IGCV1 paper §3: T = G²(S/L + 1/M), optimum L = M·S, G_max = (T/(2√S))^(2/3)."""
    d = DERIVATIONS["igcv1"]()
    L, M, S, T = sy.L, sy.M, sy.S, sy.T
    assert sp.simplify(d.results["params"] - (L * M) ** 2 * (S / L + 1 / M)) == 0
    assert sp.simplify(d.results["bound_width"] - (T / (2 * sp.sqrt(S))) ** sp.Rational(2, 3)) == 0
    assert sp.simplify(d.results["bound_L"] - d.results["bound_M"] * S) == 0


def test_igcv2_results_are_the_papers():
    """IGCV2 paper: L = ln(SC), Q_min = e·C·ln(SC); channel-wise: L − 1 = ln C."""
    d = DERIVATIONS["igcv2"]()
    C, S = sy.C, sy.S
    assert sp.simplify(d.results["best_L"] - sp.log(S * C)) == 0
    assert sp.simplify(sp.expand_log(d.results["min_params"] - sp.E * C * sp.log(S * C), force=True)) == 0
    assert sp.simplify(d.results["best_n"] - sp.log(C)) == 0


def test_igcv3_results_are_the_papers():
    """IGCV3 paper: params = C_int(C/G1 + S + C_out/G2), C_int/(G1·G2) paths, G1·G2 super-channels."""
    d = DERIVATIONS["igcv3"]()
    C, S, t, G1, G2, Cout = sy.C, sy.S, sy.t, sy.G1, sy.G2, sy.Cout
    assert sp.simplify(d.results["params"] - t * C * (C / G1 + S + Cout / G2)) == 0
    assert sp.simplify(d.results["paths"] - t * C / (G1 * G2)) == 0


@st.composite
def igcv2_configs(draw):
    K = tuple(draw(st.integers(1, 8)) for _ in range(3))
    return {"K": K, "C": math.prod(K) * draw(st.integers(1, 3)), "k": draw(st.integers(1, 7))}


@st.composite
def igcv3_configs(draw):
    g1, g2 = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return {"C": g1 * g2 * draw(st.integers(1, 8)), "t": draw(st.integers(1, 6)), "G1": g1, "G2": g2,
            "k": draw(st.integers(1, 7)), "Cout": g2 * draw(st.integers(1, 20))}


configs = {
    "regular": st.fixed_dictionaries({"C": st.integers(1, 300), "k": st.integers(1, 7)}),
    "dwsep": st.fixed_dictionaries({"C": st.integers(1, 300), "k": st.integers(1, 7)}),
    "igcv1": st.fixed_dictionaries({"L": st.integers(1, 60), "M": st.integers(1, 60), "k": st.integers(1, 7)}),
    "igcv2": igcv2_configs(),
    "igcv3": igcv3_configs(),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), family=st.sampled_from(sorted(configs)), hw=st.integers(1, 64))
def test_symbolic_costs_equal_integer_counts(data, family, hw):
    """The family's sympy formulas, at integer values, equal the concrete block's counts."""
    config = data.draw(configs[family])
    block = FAMILIES[family].make(**config)
    counted = count_block(block, hw)
    costs = family_costs(family)
    names = {"Cout": sy.Cout}
    symbols = {names.get(key, getattr(sy, key, None)): value for key, value in config.items() if key != "K"}
    if family == "igcv2":
        symbols.update(zip(sy.branch_symbols(3), config["K"]))
    symbols[sy.P] = hw * hw
    assert costs["params"].subs(symbols) == counted.params
    assert costs["mult_adds"].subs(symbols) == counted.mult_adds
    # The symbolic chain assumes every shuffle moves data; compare where the block agrees.
    symbolic_shuffles = sum(layer.kind == "permute" for layer in family_chain(family))
    if sum(layer.kind == "permute" for layer in block.chain) == symbolic_shuffles:
        assert costs["mem_access"].subs(symbols) == counted.mem_access


@settings(max_examples=100, deadline=None)
@given(C=st.integers(1, 50), K=st.integers(1, 8), k=st.integers(1, 5))
def test_generated_integer_functions_equal_chain_counts(C, K, k):
    C = C * K
    one = FAMILIES["chain"].make(W=(C, C), G=(C // K,), k=(k,))
    assert formulas.igcv2_layer_params(C, K, k) == chain_params(one.chain) == C * K * k * k


def test_every_generated_function_is_used_by_the_package():
    """No generated formula exists only for tests: each is called from igcdesign itself."""
    import ast
    import pathlib

    names = [n.name for n in ast.parse(codegen.TARGET.read_text()).body if isinstance(n, ast.FunctionDef)]
    root = pathlib.Path(formulas.__file__).parent
    sources = "".join(p.read_text() for p in root.rglob("*.py") if p != codegen.TARGET)
    assert names and [n for n in names if f"f.{n}(" not in sources] == []


@settings(max_examples=100, deadline=None)
@given(T=st.integers(10, 10**15), M=st.integers(1, 10**4), k=st.integers(1, 7))
def test_generated_roots_solve_their_equations(T, M, k):
    L = formulas.igcv1_L_root(M, k, T)
    assert math.isclose(M * L * L + L * M * M * k * k, T, rel_tol=1e-6)
    C = formulas.regular_C_root(k, T)
    assert math.isclose(C * C * k * k, T, rel_tol=1e-9)
    width = formulas.igcv1_bound_width(T, k)
    Lb, Mb = formulas.igcv1_bound_L(T, k), formulas.igcv1_bound_M(T, k)
    assert math.isclose(Lb * Mb, width, rel_tol=1e-9)
    assert math.isclose(Lb * Mb * Mb * k * k + Mb * Lb * Lb, T, rel_tol=1e-9)
    g = 1 + M % 8
    C = formulas.shufflenetv1_C_root(k, g, T)
    assert math.isclose(C * C / (2 * g) + k * k * C / 4, T, rel_tol=1e-9)
