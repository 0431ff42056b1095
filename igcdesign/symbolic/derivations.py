"""The papers' results, derived by sympy step by step from the families' chains.

Each derivation returns a :class:`Derivation`: numbered steps for people (pretty or LaTeX) and
named result expressions that :mod:`igcdesign.symbolic.codegen` turns into plain Python.
A step that sympy cannot confirm raises, so a derivation that prints is one that holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from igcdesign.layers import GroupConv, chain_params, convs
from igcdesign.symbolic import symbols as sy
from igcdesign.symbolic.expressions import family_chain


@dataclass
class Step:
    title: str
    expr: sp.Basic
    note: str = ""


@dataclass
class Derivation:
    family: str
    steps: list[Step] = field(default_factory=list)
    results: dict[str, sp.Expr] = field(default_factory=dict)

    def add(self, title: str, expr, note: str = "") -> None:
        self.steps.append(Step(title, expr, note))


def _confirm(claim: sp.Expr, what: str) -> None:
    if sp.simplify(claim) != 0:
        raise ArithmeticError(f"derivation step failed: {what}")


def _positive_root(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    roots = [r for r in sp.solve(expr, var) if r.is_positive is not False]
    if len(roots) != 1:
        raise ArithmeticError(f"expected one positive root in {var}, got {roots}")
    return roots[0]


def quadratic_root(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """The positive root of a quadratic a·x² + b·x + c (b ≥ 0, c < 0), written −2c / (b + √(b² − 4ac)).

    The same root as the textbook formula, without its cancellation when b² ≫ 4ac, so the
    generated float code stays accurate at any budget.
    """
    a, b, c = sp.Poly(sp.expand(expr), var).all_coeffs()
    root = -2 * c / (b + sp.sqrt(sp.factor(b**2 - 4 * a * c)))
    _confirm(sp.radsimp(root - _positive_root(expr, var)), f"stable root in {var}")
    return root


def derive_igcv1() -> Derivation:
    """T = G²(S/L + 1/M); G > C iff L/(L−1) < M·S; widest at L = M·S; G_max = (T/(2√S))^(2/3)."""
    L, M, S, T, G, C = sy.L, sy.M, sy.S, sy.T, sy.G, sy.C
    d = Derivation("igcv1")
    params = sy.in_S(chain_params(family_chain("igcv1")))
    d.add("Block parameters, summed over the chain's layers", sp.Eq(T, params),
          "primary k×k conv: L·M²·S; secondary 1×1 conv: M·L²")
    per_width = sp.expand(params / (L * M) ** 2)
    d.add("With the width G = L·M", sp.Eq(T, G**2 * per_width))
    regular = sy.in_S(chain_params(family_chain("regular")))
    d.add("A regular k×k conv of width C", sp.Eq(T, regular))
    ratio = sp.simplify(regular / C**2 / per_width)
    d.add("Equal parameters: (G/C)² = S / (S/L + 1/M)", sp.Eq(G**2 / C**2, ratio))
    gap = sp.together(S - per_width)
    numerator = sp.numer(gap)
    boundary = _positive_root(numerator, M)
    slope = sp.factor(sp.diff(numerator, M))
    d.add("G > C iff S/L + 1/M < S; the numerator grows in M (slope shown), so",
          sp.StrictLessThan(sp.simplify(boundary * S), M * S),
          f"slope of the numerator in M: {slope} > 0 for L > 1")
    at_fixed_width = (G**2 * per_width).subs(M, G / L)
    stationary = _positive_root(sp.diff(at_fixed_width, L), L)
    d.add("At fixed width, T(L) = G²(S/L + L/G) is least where dT/dL = 0", sp.Eq(L, stationary))
    best_L = _positive_root((L**2 - stationary**2).subs(G, L * M), L)
    d.add("With G = L·M: L² = S·L·M, so the widest block for its parameters has", sp.Eq(L, best_L))
    width_at_opt = (L * M).subs(L, best_L)
    M_of_G = _positive_root(width_at_opt - G, M)
    budget_at_opt = sp.simplify((G**2 * per_width).subs(L, best_L).subs(M, M_of_G))
    d.add("There G = M²·S and the budget is", sp.Eq(T, budget_at_opt))
    G_max = _positive_root(budget_at_opt - T, G)
    _confirm(G_max - (T / (2 * sp.sqrt(S))) ** sp.Rational(2, 3), "G_max = (T/(2√S))^(2/3)")
    d.add("The widest IGCV1 block for T parameters", sp.Eq(G, (T / (2 * sp.sqrt(S))) ** sp.Rational(2, 3)))
    d.add("… at", sp.Eq(M, M_of_G.subs(G, G_max)))
    d.results.update(
        params=params,
        L_root=quadratic_root(params - T, L),
        bound_width=G_max,
        bound_M=M_of_G.subs(G, G_max),
        bound_L=best_L.subs(M, M_of_G.subs(G, G_max)),
    )
    return d


def derive_igcv2() -> Derivation:
    """Q = C(S·K₁ + ΣK_l), ∏K_l = C, balance S·K₁ = K₂ = …, L = ln(SC), Q_min = e·C·ln(SC)."""
    C, S, Q, L, K, l, n = sy.C, sy.S, sy.Q, sy.L, sy.K, sy.l, sy.n
    d = Derivation("igcv2")
    Kb = sp.Symbol("K", positive=True)
    layer = sy.in_S(GroupConv(C, C, C / Kb, sy.k).params())
    d.add("One k×k group conv of C channels in branches of K channels", sp.Eq(Q, layer),
          "a 1×1 conv (k = 1) costs C·K")
    K3 = sy.branch_symbols(3)
    chain3 = sy.in_S(chain_params(family_chain("igcv2", K=K3)))
    general = C * (S * K[1] + sp.Sum(K[l], (l, 2, L)))
    _confirm(chain3 - general.subs(L, 3).doit().subs({K[1]: K3[0], K[2]: K3[1], K[3]: K3[2]}),
             "three-conv chain matches the general sum")
    d.add("Summed over the chain (first conv k×k, the rest 1×1)", sp.Eq(Q, general),
          f"for three convs the chain gives {sp.factor(chain3)}")
    d.add("Complementary condition: one path between every input and output channel",
          sp.Eq(sp.Product(K[l], (l, 1, L)), C))
    free = sp.expand(chain3 / C).subs(K3[2], C / (K3[0] * K3[1]))
    (solution,) = sp.solve([sp.diff(free, K3[0]), sp.diff(free, K3[1])], K3[:2], dict=True)
    terms = [sp.simplify(S * solution[K3[0]]), sp.simplify(solution[K3[1]]),
             sp.simplify((C / (K3[0] * K3[1])).subs(solution))]
    _confirm(terms[0] - terms[1], "S·K1 = K2")
    _confirm(terms[1] - terms[2], "K2 = K3")
    d.add("Minimising Q under ∏K = C (three convs): every term equal, the balance condition",
          sp.And(sp.Eq(S * K3[0], K3[1]), sp.Eq(K3[1], K3[2])),
          f"each term = {terms[0]}")
    bound = C * L * (S * C) ** (1 / L)
    _confirm(C * free.subs(solution) - bound.subs(L, 3), "the three-conv minimum is the AM–GM bound at L = 3")
    d.add("AM–GM over the L terms S·K₁, K₂, …, K_L (product S·C)", sp.GreaterThan(Q, bound),
          "equality exactly under the balance condition (sympy: the three-conv minimum above equals it at L = 3)")
    L_opt = _positive_root(sp.diff(bound, L), L)
    d.add("Best number of group convs", sp.Eq(L, L_opt))
    Q_min = bound.subs(L, L_opt)
    d.add("Least parameters for width C", sp.Eq(Q, Q_min))
    channelwise = C * (S + n * C ** (1 / n))
    pair = S + K3[1] + C / K3[1]  # K₁ = 1 and two 1×1 convs with K₂·K₃ = C
    least = pair.subs(K3[1], _positive_root(sp.diff(pair, K3[1]), K3[1]))
    _confirm(C * least - channelwise.subs(n, 2), "two balanced 1×1 convs reach the channel-wise bound")
    d.add("Channel-wise first conv (K₁ = 1), n = L − 1 balanced 1×1 convs K_l = C^(1/n)",
          sp.GreaterThan(Q, channelwise))
    n_opt = _positive_root(sp.diff(channelwise, n), n)
    d.add("Best number of 1×1 group convs", sp.Eq(L - 1, n_opt))
    Q_cw = sp.simplify(channelwise.subs(n, n_opt))
    d.add("Least parameters with a channel-wise k×k conv", sp.Eq(Q, Q_cw),
          "the width bound solves C·(S + e·ln C) = T")
    d.results.update(min_params=Q_min, min_params_channelwise=Q_cw, best_L=L_opt, best_n=n_opt)
    return d


def derive_igcv3() -> Derivation:
    """params = C_int(C/G1 + S + C_out/G2); C_s = G1·G2 super-channels; C_int/(G1·G2) paths."""
    C, S, T, t, G1, G2, Cout, Cint = sy.C, sy.S, sy.T, sy.t, sy.G1, sy.G2, sy.Cout, sy.Cint
    d = Derivation("igcv3")
    chain = family_chain("igcv3")
    params = sy.in_S(chain_params(chain))
    per_channel = sp.expand(params / (t * C))
    d.add("Block parameters, summed over the chain's layers", sp.Eq(T, params))
    d.add("With C_int = t·C", sp.Eq(T, Cint * per_channel))
    expand, _, reduce = convs(chain)
    fan_out = sp.simplify(expand.cout / expand.groups)
    fan_in = sp.simplify(reduce.cin / reduce.groups)
    d.add("An input channel reaches, through the G1-group expansion, C_int/G1 channels",
          sp.Eq(sp.Symbol("fan_out"), fan_out.subs(t * C, Cint)))
    d.add("An output channel gathers, through the G2-group reduction, C_int/G2 channels",
          sp.Eq(sp.Symbol("fan_in"), fan_in.subs(t * C, Cint)))
    total = fan_out * sp.simplify(reduce.cout / reduce.groups)
    paths = sp.simplify(total / reduce.cout)
    d.add("The shuffle spreads each expansion group evenly over the reduction groups, so every "
          "(input, output) pair is joined by", sp.Eq(sp.Symbol("p"), paths.subs(t * C, Cint)),
          "when G1·G2 divides C_int; otherwise the counts differ between pairs (check says redundant)")
    d.add("Super-channels: each layer split into", sp.Eq(sp.Symbol("C_s"), G1 * G2),
          "the complementary condition holds between super-channels")
    d.add("MobileNetV2 (G1 = G2 = 1)", sp.Eq(T, (Cint * per_channel).subs({G1: 1, G2: 1})))
    square = params.subs(Cout, C)
    d.results.update(params=params, paths=paths, super_channels=G1 * G2,
                     C_root=quadratic_root(square - T, C))
    return d


DERIVATIONS = {"igcv1": derive_igcv1, "igcv2": derive_igcv2, "igcv3": derive_igcv3}
