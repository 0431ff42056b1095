"""Family formulas obtained by evaluating each family's chain on symbols: never typed by hand."""

from __future__ import annotations

import sympy as sp

from igcdesign.families import FAMILIES
from igcdesign.layers import chain_mem_access, chain_mult_adds, chain_params
from igcdesign.symbolic import symbols as sy

SYMBOLIC_CONFIGS = {
    "regular": dict(C=sy.C, k=sy.k),
    "dwsep": dict(C=sy.C, k=sy.k),
    "igcv1": dict(L=sy.L, M=sy.M, k=sy.k),
    "igcv2": dict(K=sy.branch_symbols(3), C=sy.C, k=sy.k),
    "igcv3": dict(C=sy.C, t=sy.t, G1=sy.G1, G2=sy.G2, k=sy.k, Cout=sy.Cout),
}


def family_chain(family: str, **overrides):
    """The chain of a family with every configuration value a symbol (or an override)."""
    config = {**SYMBOLIC_CONFIGS[family], **overrides}
    return FAMILIES[family].chain(**config)


def family_costs(family: str, **overrides) -> dict[str, sp.Expr]:
    """params, mult_adds and mem_access of a family as expressions in its symbols and P = H·W.

    Shuffles count as moving data (general position: g ≠ 1 and g ≠ C).
    """
    chain = family_chain(family, **overrides)
    return {
        "params": sp.expand(chain_params(chain)),
        "mult_adds": sp.expand(chain_mult_adds(chain, sy.P)),
        "mem_access": sp.expand(chain_mem_access(chain, sy.P)),
    }
