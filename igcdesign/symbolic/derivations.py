"""The toolkit of the papers' derivations; each family's own derivation lives with the family
(`Family.derivation`, in igcdesign/families) and is found through the registry.

A derivation returns a :class:`Derivation`: numbered steps for people (pretty or LaTeX) and
named result expressions that :mod:`igcdesign.symbolic.codegen` turns into plain Python.
A step that sympy cannot confirm raises, so a derivation that prints is one that holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp


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


def confirm(claim: sp.Expr, what: str) -> None:
    """Raise ArithmeticError unless sympy simplifies `claim` to 0."""
    if sp.simplify(claim) != 0:
        raise ArithmeticError(f"derivation step failed: {what}")


def positive_root(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """The one root of expr in var that is not known to be non-positive."""
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
    confirm(sp.radsimp(root - positive_root(expr, var)), f"stable root in {var}")
    return root

